import NIOCore
import WebSocketDriver

/// Runs a ``ProxyConnect`` exchange on a fresh connection to the proxy; once the tunnel is open
/// it hands over to the WebSocket handler (with any bytes that came after the proxy's answer)
/// and leaves the pipeline.
final class ProxyTunnelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let proxy: ProxyConnect
    private let collector: OutputCollector
    private let onTunnel: (ChannelHandlerContext, [UInt8]) -> Void
    private let onFailure: (WebSocketError.Kind, String) -> Void
    private var done = false

    init(
        proxy: ProxyConnect,
        collector: OutputCollector,
        onTunnel: @escaping (ChannelHandlerContext, [UInt8]) -> Void,
        onFailure: @escaping (WebSocketError.Kind, String) -> Void
    ) {
        self.proxy = proxy
        self.collector = collector
        self.onTunnel = onTunnel
        self.onFailure = onFailure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        proxy.onConnect = { [unowned self] leftover in
            self.done = true
            self.onTunnel(context, leftover)
        }
        proxy.onError = { [unowned self] error in
            self.done = true
            self.onFailure(.proxy(error), "\(error)")
        }
        if context.channel.isActive { begin(context: context) }
    }

    /// Drops the proxy's callbacks: they capture the context, which keeps this handler (which
    /// keeps the proxy), a cycle that would leak the channel and the WebSocket behind it.
    func handlerRemoved(context: ChannelHandlerContext) {
        proxy.onConnect = nil
        proxy.onError = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard proxy.start(), let request = collector.take() else { return }
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { proxy.parse($0) }
    }

    /// A failure below (TLS to an `https:` proxy) before the tunnel opened ends the attempt.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else {
            context.fireErrorCaught(error)
            return
        }
        done = true
        onFailure(WebSocketError.transportKind(of: error), "\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            onFailure(.connectionLost, "The proxy closed the connection before the tunnel opened")
        }
        context.fireChannelInactive()
    }
}
