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
        let driverOptions = try options.driverOptions()
        let handler = WebSocketHandler.server(for: request, options: options, channel: channel) { output in
            Driver.forRequest(request.request, options: driverOptions, output: output)
        }
        let socket = handler.socket
        return (
            handler,
            {
                setup(socket)
                handler.start()
            }
        )
    }
}
