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

    /// Over HTTP/2: the extended CONNECT decided by the driver's rules (a refusal is thrown as
    /// the `HandshakeRefusal` to answer), then a driver that writes no head.
    func makeHTTP2Stream(for request: ServerRequest, channel: any Channel) throws -> HTTP2StreamTakeover? {
        let handshake = try HostedHandshake.decide(request, options: options)
        let handler = WebSocketHandler.server(for: request, options: options, channel: channel) { output in
            Driver.accepted(handshake.accepted, output: output)
        }
        let socket = handler.socket
        let setup = self.setup
        return HTTP2StreamTakeover(
            name: "websocket", status: handshake.accepted.status, headers: handshake.accepted.headers, handler: handler
        ) {
            setup(socket)
            handler.start()
        }
    }
}
