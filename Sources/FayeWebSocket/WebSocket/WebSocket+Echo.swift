extension WebSocket {
    /// Sends every message received back to the peer, text as text and binary as binary.
    ///
    /// This is `faye-server`'s WebSocket handler; `faye-bench` mounts the same one, so that the
    /// benchmark measures exactly what the server runs.
    /// - Returns: the token of the message listener, to stop echoing with ``removeListener(_:)``.
    @discardableResult
    public func echoMessages() -> ListenerToken {
        onMessage { message in self.send(message) }
    }
}
