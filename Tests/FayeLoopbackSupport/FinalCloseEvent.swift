public import FayeWebSocket
public import WebSocketDriver

extension WebSocket {
    /// Waits for the close and returns the close event whether or not the connection failed
    /// first (``WebSocket/closed()`` throws the failure; many tests check the code after one).
    public func finalCloseEvent() async -> CloseEvent {
        _ = try? await closed()
        return closeEvent ?? CloseEvent(code: .abnormalClosure)
    }
}
