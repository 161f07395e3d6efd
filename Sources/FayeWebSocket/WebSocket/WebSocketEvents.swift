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

/// Why a WebSocket reported an error event.
public struct WebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message, as the W3C `error` event's would be.
    public var message: String
    /// The protocol error behind it, when there is one.
    public var protocolError: ProtocolError?

    /// Creates an error.
    public init(message: String, protocolError: ProtocolError? = nil) {
        self.message = message
        self.protocolError = protocolError
    }

    /// The message.
    public var description: String { message }
}

/// Why ``WebSocket/close(code:reason:)`` refused its arguments (the browser's rule).
public enum WebSocketCloseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code is neither 1000 nor in 3000...4999.
    case invalidCode(UInt16)

    /// The browser's message for the refused code (the Ruby gem's `ArgumentError` text).
    public var description: String {
        switch self {
        case .invalidCode(let code):
            return "Failed to execute 'close' on WebSocket: The code must be either 1000, or between 3000 and 4999. "
                + "\(code) is neither."
        }
    }
}

/// A registered listener, for removing it again.
public struct ListenerToken: Hashable, Sendable {
    let id: UInt64
}
