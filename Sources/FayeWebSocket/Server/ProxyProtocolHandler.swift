import ClientAddress
import NIOCore

/// The first handler of a connection when trusted proxies are configured: it reads the PROXY
/// protocol header (version 1 or 2) that a trusted proxy must send, or makes sure that no one
/// else sends one, then has the rest of the pipeline built and leaves.
///
/// - `.require`: the peer is a trusted proxy and ``FayeServer/Configuration/expectsProxyProtocol``
///   is on. The header's source address becomes the client's; a `LOCAL` header (a health check
///   of the proxy's own) or one with no addresses keeps the peer's. A missing or malformed
///   header closes the connection with nothing served.
/// - `.refuse`: anyone else. A connection that starts with a PROXY header is closed; any other
///   is served as usual once its first bytes show it (at most 12 are held back).
///
/// A connection that sends too little to decide within the timeout is closed.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Mode {
        case require
        case refuse
    }

    private let trustedProxies: TrustedProxies
    private let expectsHeader: Bool
    /// Decided at the first bytes, from the peer's address.
    private var mode: Mode?
    private let timeout: Duration
    private let configure: (SocketAddress?, ChannelHandlerContext) throws -> Void
    private var parser = ProxyHeaderParser()
    private var held: [UInt8] = []
    private var decided = false
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - trustedProxies: the peers that may (and, with `expectsHeader`, must) send a header.
    ///   - configure: builds the rest of the pipeline after this handler, given the client's
    ///     address from the header (`nil`: the peer's own).
    init(
        trustedProxies: TrustedProxies,
        expectsHeader: Bool,
        timeout: Duration,
        configure: @escaping (SocketAddress?, ChannelHandlerContext) throws -> Void
    ) {
        self.trustedProxies = trustedProxies
        self.expectsHeader = expectsHeader
        self.timeout = timeout
        self.configure = configure
    }

    /// `.require` for a trusted proxy when headers are expected, `.refuse` for anyone else.
    private static func mode(for peer: SocketAddress?, trusting trusted: TrustedProxies, expectsHeader: Bool) -> Mode {
        let address = peer?.ipAddress.flatMap(IPAddress.init)
        let fromProxy = address.map(trusted.contains) ?? false
        return fromProxy && expectsHeader ? .require : .refuse
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
        guard !decided else {
            context.fireChannelRead(data)
            return
        }
        let bytes = unwrapInboundIn(data)
        let mode =
            self.mode
            ?? Self.mode(for: context.channel.remoteAddress, trusting: trustedProxies, expectsHeader: expectsHeader)
        self.mode = mode
        switch mode {
        case .require: readHeader(context: context, bytes)
        case .refuse: screen(context: context, bytes)
        }
    }

    private func readHeader(context: ChannelHandlerContext, _ bytes: ByteBuffer) {
        do {
            switch try parser.parse(bytes.readableBytesView) {
            case .needMoreData:
                return
            case .header(let header, let consumed):
                let client = header.isLocal ? nil : header.source.flatMap(\.socketAddress)
                proceed(
                    context: context, client: client,
                    leftover: bytes.getSlice(
                        at: bytes.readerIndex + consumed, length: bytes.readableBytes - consumed))
            }
        } catch {
            // A proxy that must send the header sent something else: nothing is served.
            decided = true
            context.close(promise: nil)
        }
    }

    private func screen(context: ChannelHandlerContext, _ bytes: ByteBuffer) {
        held += bytes.readableBytesView
        switch ProxyHeaderParser.detect(held) {
        case .undecided:
            return
        case .proxyHeader:
            // A PROXY header from a peer that is not a trusted proxy (or where none is expected).
            decided = true
            context.close(promise: nil)
        case .notProxyHeader:
            var buffer = context.channel.allocator.buffer(capacity: held.count)
            buffer.writeBytes(held)
            held = []
            proceed(context: context, client: nil, leftover: buffer)
        }
    }

    private func proceed(context: ChannelHandlerContext, client: SocketAddress?, leftover: ByteBuffer?) {
        decided = true
        timer?.cancel()
        timer = nil
        do {
            try configure(client, context)
        } catch {
            context.close(promise: nil)
            return
        }
        if let leftover, leftover.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(leftover))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

extension SocketEndpoint {
    /// The endpoint as NIO's address.
    var socketAddress: SocketAddress? {
        try? SocketAddress(ipAddress: address.description, port: Int(port))
    }
}
