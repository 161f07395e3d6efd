import NIOCore

/// The HTTP version of a connection, as chosen by ALPN or by the HTTP/2 preface.
enum HTTPVersionChoice: Sendable {
    case http1
    case http2

    /// The name the server logs: the ALPN identifier.
    var name: String {
        switch self {
        case .http1: return "http/1.1"
        case .http2: return "h2"
        }
    }
}

/// Holds a new connection's first bytes until its HTTP version is known, then has the
/// pipeline for it built and leaves.
///
/// Over TLS the version is ALPN's (`h2`, or HTTP/1.1 for anything else and for no ALPN), known
/// at the ``TLSHandshakeCompleted`` event; over cleartext with prior knowledge it is HTTP/2
/// exactly when the connection opens with the 24-byte HTTP/2 preface (RFC 9113 §3.4). A
/// connection still undecided after the timeout is closed.
final class HTTPVersionSelector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Source {
        /// The TLS handshake's ALPN result.
        case alpn
        /// The first bytes: the HTTP/2 preface or not.
        case preface
    }

    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let source: Source
    private let timeout: Duration
    private let configure: (HTTPVersionChoice, ChannelHandlerContext) throws -> Void
    private var buffered: ByteBuffer?
    private var decided = false
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - configure: adds the version's handlers after this one (called once, on the loop).
    init(
        source: Source,
        timeout: Duration,
        configure: @escaping (HTTPVersionChoice, ChannelHandlerContext) throws -> Void
    ) {
        self.source = source
        self.timeout = timeout
        self.configure = configure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            if !self.decided { context.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !decided else {
            context.fireChannelRead(data)
            return
        }
        if var held = buffered {
            buffered = nil  // no copy of the held bytes while they grow
            held.writeBuffer(&bytes)
            buffered = held
        } else {
            buffered = bytes
        }
        guard case .preface = source, let buffered else { return }
        let count = min(buffered.readableBytes, Self.preface.count)
        let matches = buffered.readableBytesView.prefix(count).elementsEqual(Self.preface.prefix(count))
        if !matches {
            decide(.http1, context: context)
        } else if count == Self.preface.count {
            decide(.http2, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .alpn = source, !decided, let completed = event as? TLSHandshakeCompleted {
            context.fireUserInboundEventTriggered(event)
            decide(completed.applicationProtocol == "h2" ? .http2 : .http1, context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func decide(_ choice: HTTPVersionChoice, context: ChannelHandlerContext) {
        decided = true
        timer?.cancel()
        timer = nil
        do {
            try configure(choice, context)
        } catch {
            context.close(promise: nil)
            return
        }
        if let bytes = buffered {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
