import NIOCore
import WebSocketDriver

/// Takes a connection over for a WebSocket: a ``WebSocketHandler`` with the driver chosen for the
/// request.
struct WebSocketTakeover: ConnectionTakeover {
    let options: WebSocketOptions
    let setup: @Sendable (WebSocket) -> Void

    func makeHandler(
        for request: ServerRequest,
        channel: any Channel
    ) throws -> (handler: any ChannelHandler, start: () -> Void) {
        let collector = OutputCollector(allocator: channel.allocator)
        let driver = Driver.forRequest(request.request, options: try options.driverOptions()) { collector.append($0) }
        let socket = WebSocket(
            address: .request(secure: request.isSecure),
            eventLoop: channel.eventLoop,
            request: request.request,
            options: options
        )
        let handler = WebSocketHandler(socket: socket, driver: driver, collector: collector)
        return (
            handler,
            {
                setup(socket)
                handler.start()
            }
        )
    }
}
