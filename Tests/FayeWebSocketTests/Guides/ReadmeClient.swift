import FayeWebSocket

/// Connects to `url` (`ws:` or `wss:`), sends `text` and returns the first message back.
func echoOnce(url: String, text: String) async throws -> WebSocketMessage? {
    // Throws the cause (refused, TLS, handshake status, …) when it cannot open.
    try await WebSocket.withConnection(to: url) { socket in
        try await socket.send(.text(text))  // resumes once written; throws if it never will be
        for try await message in socket.messages { return message }  // throws if the connection fails
        return nil  // closed before an answer came
    }  // the socket is closed (1000) when the closure ends
}
