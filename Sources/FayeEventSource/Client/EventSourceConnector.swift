import FayeWebSocket
import NIOCore

/// Opens the connection of one attempt: the transport of the WebSocket client in the library,
/// an in-memory channel in tests.
protocol EventSourceConnector: Sendable {
    func open(
        request: EventSourceRequestHead,
        options: WebSocketClientOptions,
        eventLoop: any EventLoop,
        handler: EventSourceClientHandler)
}

/// TCP, the proxy tunnel and TLS, as for a WebSocket.
struct TransportConnector: EventSourceConnector {
    func open(
        request: EventSourceRequestHead,
        options: WebSocketClientOptions,
        eventLoop: any EventLoop,
        handler: EventSourceClientHandler
    ) {
        ClientTransport(
            target: request.target.transport, shownURL: request.target.description, options: options,
            eventLoop: eventLoop
        ).open(handler)
    }
}
