/// The states of an ``EventSource`` stream: the same `ConnectionReadyState` as a WebSocket's, as in the
/// Ruby gem (`CONNECTING` while the setup closure runs, `OPEN` once the head is written,
/// `CLOSING` after ``EventSource/close()``, `CLOSED` once the connection is gone).
public typealias EventSourceReadyState = ConnectionReadyState

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
    /// The sending task was cancelled while it waited; the event may still be written (it was
    /// already handed to the connection).
    case cancelled

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
        case .cancelled:
            return "The task sending the EventSource event was cancelled"
        }
    }
}

/// A registered ``EventSource`` listener, for ``EventSource/removeListener(_:)``: the same
/// `ListenerToken` as a WebSocket's.
public typealias EventSourceListenerToken = ListenerToken
