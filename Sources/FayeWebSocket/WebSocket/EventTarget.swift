/// Listeners for one event type, with the faye/W3C buffering rule: an event dispatched while
/// nobody listens is kept and delivered to the first listener added later.
///
/// Shared (package access) by `WebSocket` and `FayeEventSource`'s `EventSource`.
package struct ListenerList<Event: Sendable>: Sendable {
    private var listeners: [(id: UInt64, call: @Sendable (Event) -> Void)] = []
    private var buffered: [Event] = []

    /// An empty list.
    package init() {}

    /// Adds a listener; returns the buffered events it must receive first.
    package mutating func add(id: UInt64, _ listener: @escaping @Sendable (Event) -> Void) -> [Event] {
        listeners.append((id, listener))
        defer { buffered = [] }
        return buffered
    }

    package mutating func remove(id: UInt64) {
        listeners.removeAll { $0.id == id }
    }

    /// Drops every listener (buffered events stay for a listener added later).
    package mutating func removeAllListeners() {
        listeners = []
    }

    /// The events buffered for the first listener (they stay buffered).
    package var bufferedEvents: [Event] { buffered }

    /// The listeners to call, or `[]` after buffering the event.
    package mutating func dispatch(_ event: Event) -> [@Sendable (Event) -> Void] {
        if listeners.isEmpty {
            buffered.append(event)
            return []
        }
        return listeners.map(\.call)
    }
}
