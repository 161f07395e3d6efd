import NIOCore

/// Answers a connection accepted over ``FayeServer/Configuration/maxConnections``: writes
/// `503 Service Unavailable` at once, discards what the client sends, and closes once the
/// client's request head has arrived (so the close does not reset a connection with unread
/// bytes, which could destroy the response before the client reads it), when the client
/// closes, or after one second at the latest.
final class ConnectionLimitHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let response = Array(
        ("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 28\r\n\r\n"
            + "Too many connections, retry\n").utf8)

    /// The longest a refused connection is kept open.
    static let linger = TimeAmount.seconds(1)

    private var written = false
    private var headSeen = false
    /// The last bytes read, to find the head's end across reads.
    private var tail: [UInt8] = []
    private var timer: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !headSeen else { return }
        let buffer = unwrapInboundIn(data)
        let terminator: [UInt8] = [13, 10, 13, 10]
        let bytes = tail + Array(buffer.readableBytesView)
        if bytes.count >= 4, (0...(bytes.count - 4)).contains(where: { bytes[$0..<($0 + 4)].elementsEqual(terminator) })
        {
            headSeen = true
        }
        tail = Array(bytes.suffix(3))
        closeIfDone(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func refuse(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) {
            context.close(promise: nil)
        }
        let buffer = context.channel.allocator.buffer(bytes: Self.response)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            self.written = true
            self.closeIfDone(context: context)
        }
    }

    private func closeIfDone(context: ChannelHandlerContext) {
        guard written, headSeen else { return }
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }
}
