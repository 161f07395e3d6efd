import NIOCore
import NIOHTTP2

/// Carries a taken-over HTTP/2 stream's body as bytes: inbound `DATA` payloads become
/// `ByteBuffer`s for the protocol handler behind it (a WebSocket or an EventSource), and the
/// `ByteBuffer`s it writes go out as `DATA` frames.
///
/// It also maps the end of the protocol onto the stream (RFC 8441 §5): a clean close
/// (announced by ``GracefulStreamEnd``) sends `END_STREAM` and lets the stream end when the
/// client ends its side too (or resets it after ``HTTP2ServerConfiguration/streamCloseTimeout``);
/// any other close resets the stream (`RST_STREAM`, which the client sees as an abort). When the
/// client ends its side first, ours is ended once the protocol handler has answered what came
/// with it.
final class HTTP2StreamBytesHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let closeTimeout: Duration
    /// The client sent `END_STREAM` (with its request, for a GET).
    private var peerEnded: Bool
    /// We sent `END_STREAM`.
    private var ended = false
    /// The client's `END_STREAM` came in the current read batch: ours follows at its end.
    private var endOnReadComplete = false
    /// The next close is a clean end.
    private var graceful = false
    private var closeTimer: Scheduled<Void>?

    init(peerEnded: Bool, closeTimeout: Duration) {
        self.peerEnded = peerEnded
        self.closeTimeout = closeTimeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .data(let payload) = unwrapInboundIn(data) else { return }
        if payload.endStream && !peerEnded {
            peerEnded = true
            endOnReadComplete = true
        }
        guard case .byteBuffer(let bytes) = payload.data, bytes.readableBytes > 0 else { return }
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        // The client is done sending: end our side too, after what the handler answered.
        guard endOnReadComplete else { return }
        endOnReadComplete = false
        if !ended && context.channel.isActive { endStream(context: context) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !ended else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let bytes = unwrapOutboundIn(data)
        let frame = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(bytes)))
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is GracefulStreamEnd else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        graceful = true
        promise?.succeed()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard graceful, mode != .input else {
            context.close(mode: mode, promise: promise)
            return
        }
        promise.map { context.channel.closeFuture.cascade(to: $0) }
        if !ended { endStream(context: context) }
        // With both sides ended the stream closes by itself; a client that never ends its side
        // is reset after the timeout.
        guard closeTimer == nil, context.channel.isActive else { return }
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(closeTimeout)) {
            context.close(promise: nil)
        }
    }

    private func endStream(context: ChannelHandlerContext) {
        ended = true
        let empty = context.channel.allocator.buffer(capacity: 0)
        let frame = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(empty), endStream: true))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
