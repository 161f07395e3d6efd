/// Where a driver is in the life of its connection.
///
/// The raw values follow the Ruby driver's `ready_state` (and, from `connecting` on, the W3C
/// `WebSocket.readyState`).
public enum ReadyState: Int, Sendable, Hashable, CustomStringConvertible {
    /// A client driver whose ``Driver/start()`` has not been called yet.
    case notStarted = -1
    /// The handshake is under way.
    case connecting = 0
    /// The handshake succeeded: messages flow in both directions.
    case open = 1
    /// This side sent a close frame and waits for the peer's.
    case closing = 2
    /// The connection is finished: nothing more is parsed or sent.
    case closed = 3

    /// The state in words, e.g. `open`.
    public var description: String {
        switch self {
        case .notStarted: return "not started"
        case .connecting: return "connecting"
        case .open: return "open"
        case .closing: return "closing"
        case .closed: return "closed"
        }
    }
}
