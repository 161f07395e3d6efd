/// The states of an ``EventSource`` stream (the values of the WebSocket API, as in the Ruby gem).
public enum EventSourceReadyState: Int, Sendable, Hashable, CustomStringConvertible {
    /// `CONNECTING` (0): taken over, the response head not written yet (the setup closure runs).
    case connecting = 0
    /// `OPEN` (1): the head is written; events flow.
    case open = 1
    /// `CLOSING` (2): ``EventSource/close()`` was called and the connection is not gone yet.
    case closing = 2
    /// `CLOSED` (3): the connection is gone.
    case closed = 3

    /// The W3C name: `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    public var description: String {
        switch self {
        case .connecting: return "CONNECTING"
        case .open: return "OPEN"
        case .closing: return "CLOSING"
        case .closed: return "CLOSED"
        }
    }
}

/// The close event of an ``EventSource``: fired exactly once, when the connection is gone.
public struct EventSourceCloseEvent: Sendable, Hashable, CustomStringConvertible {
    /// Why a stream ended.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// ``EventSource/close()`` or ``EventSource/terminate()`` was called on this side.
        case closedLocally
        /// The client closed the connection (or it was closed under the stream, by a server
        /// shutting down, say) without ``EventSource/close()``.
        case connectionLost
        /// A read or write failed (typically a client that vanished); the error's description.
        case error(String)

        /// A short explanation, e.g. `connection lost`.
        public var description: String {
            switch self {
            case .closedLocally: return "closed locally"
            case .connectionLost: return "connection lost"
            case .error(let message): return "error: \(message)"
            }
        }
    }

    /// Why the stream ended.
    public var reason: Reason

    /// Creates a close event.
    public init(reason: Reason) {
        self.reason = reason
    }

    /// `close (<reason>)`.
    public var description: String { "close (\(reason))" }
}

/// Why an ``EventSource`` refused to send.
public enum EventSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event type contains CR or LF, which would inject fields into the stream.
    case invalidEventType(String)
    /// The event ID contains CR, LF or NUL (a client ignores an `id:` field with NUL; a line
    /// break would inject fields).
    case invalidID(String)
    /// The stream is closing or closed.
    case notOpen
    /// The connection closed before the bytes were written.
    case connectionClosed

    /// What went wrong, in a sentence.
    public var description: String {
        switch self {
        case .invalidEventType(let event):
            return "Invalid EventSource event type \(event.debugDescription): it must not contain CR or LF"
        case .invalidID(let id):
            return "Invalid EventSource event ID \(id.debugDescription): it must not contain CR, LF or NUL"
        case .notOpen:
            return "The EventSource is not open"
        case .connectionClosed:
            return "The EventSource connection closed before the event was written"
        }
    }
}

/// A registered ``EventSource`` listener, for ``EventSource/removeListener(_:)``.
public struct EventSourceListenerToken: Hashable, Sendable {
    let id: UInt64
}
