import FayeEventSource

/// The EventSource clients listening to the chat, and the id of the last message.
actor ChatRoom {
    private var listeners: [ObjectIdentifier: EventSource] = [:]
    private var lastID = 0

    func join(_ source: EventSource) {
        listeners[ObjectIdentifier(source)] = source
    }

    func leave(_ source: EventSource) {
        listeners[ObjectIdentifier(source)] = nil
    }

    /// Sends `text` to every listener as a `chat` event and returns the event's id.
    func broadcast(_ text: String) -> Int {
        lastID += 1
        for source in listeners.values {
            // Throws only for a source that has closed; it leaves on its close event.
            try? source.send(text, event: "chat", id: "\(lastID)")
        }
        return lastID
    }
}

/// The embedded server: WebSockets on `/chat` post text to the room and get `ok ID` back,
/// EventSource clients on `/events` receive every post, and `/` explains this in plain text.
func makeChatServer(port: Int, room: ChatRoom) -> FayeServer {
    var configuration = FayeServer.Configuration(host: "127.0.0.1", port: port)
    configuration.shutdownGracePeriod = .seconds(2)  // for the closing handshakes on shutdown()
    return FayeServer(configuration: configuration) { request in
        switch request.request.path {
        case "/chat" where request.isWebSocket:
            return .webSocket { socket in
                // One task per connection reads its messages one after the other, so posts are
                // broadcast in the order they were sent (a task per message would race).
                let messages = socket.messages
                Task {
                    for try await message in messages {
                        guard case .text(let text) = message else { continue }
                        let id = await room.broadcast(text)
                        try await socket.send(.text("ok \(id)"))
                    }
                }
            }
        case "/events" where request.isEventSource:
            var options = EventSourceOptions()
            options.pingInterval = .seconds(15)  // a comment line keeps idle proxies from hanging up
            return .eventSource(options: options) { source in
                source.onClose { _ in Task { await room.leave(source) } }
                Task {
                    await room.join(source)
                    try? await source.send("welcome", event: "joined")
                }
            }
        case "/":
            return ServerResponse(text: "WebSocket: ws://127.0.0.1:\(port)/chat, EventSource: /events\n")
        default:
            return ServerResponse(status: 404, text: "Not found\n")
        }
    }
}

/// Runs the chat server until the task is cancelled (or, inside a `ServiceGroup`, until its
/// graceful shutdown on SIGTERM), then shuts it down: WebSockets close with 1001, EventSources
/// end.
func runChatServer(port: Int) async throws {
    let server = makeChatServer(port: port, room: ChatRoom())
    try await server.start()
    print("chat on \(server.localAddress.map { "\($0)" } ?? "?")")
    try await server.run()  // FayeServer is a swift-service-lifecycle Service
}
