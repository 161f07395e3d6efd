import NIOCore
import NIOHTTP2

/// The server's own bound on concurrent streams, refusing each stream beyond it with
/// `RST_STREAM` `REFUSED_STREAM` (a stream error, RFC 9113 §5.1.2).
///
/// swift-nio-http2 enforces the `SETTINGS_MAX_CONCURRENT_STREAMS` it sends as a *connection*
/// error (GOAWAY), which would end every stream of a client that opened one too many. So NIO is
/// given a higher ceiling (``enforcedByNIO``), the client is told the real limit (the first
/// SETTINGS frame is rewritten on its way out by ``HTTP2AdvertisedLimitWriter``), and streams
/// between the two are refused here, one by one.
///
/// It is the connection's stream delegate: NIO reports each stream's end synchronously, as it
/// processes the frame that ended it, so a client that resets streams and opens new ones in
/// one write finds the room it made. Used on the connection's event loop only.
final class HTTP2StreamLimit: NIOHTTP2StreamDelegate, @unchecked Sendable {
    /// The limit advertised and enforced per stream.
    let limit: Int
    /// The streams admitted and not yet closed.
    private var admitted = Set<HTTP2StreamID>()
    /// Told of every stream's start and end too (NIO's inline multiplexer reports them to one
    /// delegate only): the connection's idle and shutdown management.
    private let next: (any NIOHTTP2StreamDelegate)?

    init(limit: Int, next: (any NIOHTTP2StreamDelegate)? = nil) {
        self.limit = limit
        self.next = next
    }

    /// The ceiling NIO enforces as a connection error: twice the limit, at least 16 more.
    var enforcedByNIO: Int { max(limit * 2, limit + 16) }

    /// The streams admitted and still open.
    var open: Int { admitted.count }

    /// Counts a new stream, or returns `false` when it must be refused.
    func admit(_ stream: any Channel) -> Bool {
        guard admitted.count < limit,
            let id = try? stream.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID)
        else { return false }
        admitted.insert(id)
        return true
    }

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        next?.streamCreated(id, channel: channel)
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        admitted.remove(id)
        next?.streamClosed(id, channel: channel)
    }

    /// Refuses `stream`: `RST_STREAM` with `REFUSED_STREAM`, then the stream channel closes.
    static func refuse(_ stream: any Channel) {
        stream.writeAndFlush(HTTP2Frame.FramePayload.rstStream(.refusedStream)).whenComplete { _ in
            stream.close(promise: nil)
        }
    }
}

/// Rewrites `SETTINGS_MAX_CONCURRENT_STREAMS` in the connection's first SETTINGS frame (the
/// server's preface, NIO's first write) to the advertised limit, then leaves the pipeline.
/// Sits between the transport and NIO's HTTP/2 handler.
final class HTTP2AdvertisedLimitWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let advertised: UInt32

    init(advertised: Int) {
        self.advertised = UInt32(clamping: advertised)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        Self.rewriteMaxConcurrentStreams(in: &bytes, to: advertised)
        context.write(wrapOutboundOut(bytes), promise: promise)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// When `bytes` starts with a SETTINGS frame (type 4, no ACK, stream 0), sets every
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` (0x3) entry in it to `value`.
    static func rewriteMaxConcurrentStreams(in bytes: inout ByteBuffer, to value: UInt32) {
        let start = bytes.readerIndex
        guard bytes.readableBytes >= 9,
            let length = bytes.getInteger(at: start, as: UInt32.self).map({ Int($0 >> 8) }),
            bytes.getInteger(at: start + 3, as: UInt8.self) == 0x4,
            bytes.getInteger(at: start + 4, as: UInt8.self).map({ $0 & 0x1 == 0 }) == true,
            bytes.getInteger(at: start + 5, as: UInt32.self) == 0,
            length % 6 == 0, bytes.readableBytes >= 9 + length
        else { return }
        var entry = start + 9
        while entry < start + 9 + length {
            if bytes.getInteger(at: entry, as: UInt16.self) == 0x3 {
                bytes.setInteger(value, at: entry + 2)
            }
            entry += 6
        }
    }
}

/// The last handler of an HTTP/2 connection: takes the protocol errors NIO reports after it has
/// answered them itself (a stream error is already `RST_STREAM`, a connection error `GOAWAY`
/// and a close), so they end here instead of at the pipeline's tail.
final class HTTP2ProtocolErrorSink: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
