import FayeWebSocket

/// An echo server on 127.0.0.1:`port` that also answers plain HTTP requests.
func startEchoServer(port: Int) async throws -> FayeServer {
    let server = FayeServer(configuration: .init(host: "127.0.0.1", port: port)) { request in
        guard request.isWebSocket else { return ServerResponse(text: "Hello over plain HTTP\n") }
        return .webSocket { socket in
            socket.onMessage { message in socket.send(message) }  // echo
            socket.onClose { event in print("closed \(event.code) \(event.reason)") }
        }
    }
    try await server.start()  // port 0 picks a free port: see server.localAddress
    return server
}
