import WebSocketDriver

/// The states of a connection, as in the W3C WebSocket API: the ``WebSocket/readyState`` of a
/// WebSocket and the `readyState` of a server-side EventSource stream. States only move forward,
/// so they compare in that order (`state < .closing`: not closing yet).
public enum ConnectionReadyState: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `CONNECTING` (0): the handshake is under way (for an EventSource: the response head is not
    /// written yet).
    case connecting = 0
    /// `OPEN` (1): messages (or events) flow.
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

    /// Earlier states are smaller.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The states of a ``WebSocket`` (see ``ConnectionReadyState``).
public typealias WebSocketReadyState = ConnectionReadyState

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

/// A registered listener of a ``WebSocket`` or an EventSource, for removing it again.
public struct ListenerToken: Hashable, Sendable {
    package let id: UInt64

    package init(id: UInt64) {
        self.id = id
    }
}
