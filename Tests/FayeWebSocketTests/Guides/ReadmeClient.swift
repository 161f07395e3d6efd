import FayeWebSocket

/// Connects to `url` (`ws:` or `wss:`), sends `text` and returns the first message back.
func echoOnce(url: String, text: String) async throws -> WebSocketMessage? {
    let socket = WebSocket.connect(to: url)  // never throws: failures are events
    socket.onError { error in print("error: \(error.message)") }
    socket.onClose { event in print("closed \(event.code) \(event.reason)") }
    var messages = socket.messages.makeAsyncIterator()  // before sending: nothing is missed
    try await socket.send(.text(text))  // queued until open, resumes once written
    let reply = await messages.next()  // nil if the connection closed first
    _ = try await socket.closeAndWait(code: 1000, reason: "bye")
    return reply
}
