public import WebSocketDriver

/// The states of a WebSocket, as in the W3C API.
public enum WebSocketReadyState: Int, Sendable, Hashable, CustomStringConvertible {
    /// `CONNECTING` (0): the handshake is under way.
    case connecting = 0
    /// `OPEN` (1): messages flow.
    case open = 1
    /// `CLOSING` (2): a close was started and the connection is not gone yet.
    case closing = 2
    /// `CLOSED` (3): the connection is gone.
    case closed = 3

    /// The W3C constant name: `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    public var description: String {
        switch self {
        case .connecting: return "CONNECTING"
        case .open: return "OPEN"
        case .closing: return "CLOSING"
        case .closed: return "CLOSED"
        }
    }
}

/// Why ``WebSocket/close(code:reason:)`` refused its arguments (the browser's rule).
public enum WebSocketCloseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code is neither 1000 nor in 3000...4999.
    case invalidCode(UInt16)

    /// The browser's message for the refused code (the Ruby gem's `ArgumentError` text).
    public var description: String {
        switch self {
        case .invalidCode(let code):
            return "Invalid close code \(code): a WebSocket may close with 1000 or a code in 3000...4999"
        }
    }
}

/// A registered listener, for removing it again.
public struct ListenerToken: Hashable, Sendable {
    let id: UInt64
}
