/// One event dispatched from an event stream: what a browser's `EventSource` hands to its
/// listeners as a `MessageEvent`.
public struct MessageEvent: Sendable, Hashable, CustomStringConvertible {
    /// The event type: the stream's `event:` field, or `message` when it had none (or an empty one).
    public var type: String
    /// The `data:` lines of the event, joined with LF (U+000A).
    public var data: String
    /// The last event ID in force when the event was dispatched: the latest `id:` field of the
    /// stream (this event's or an earlier one's), or the ID the stream was resumed from.
    public var lastEventID: String

    /// Creates an event.
    public init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }

    /// `<type> (id <lastEventID>): <data>`.
    public var description: String {
        lastEventID.isEmpty ? "\(type): \(data)" : "\(type) (id \(lastEventID)): \(data)"
    }
}
