package import NIOConcurrencyHelpers
package import NIOCore

/// Listeners for one event type, with the faye/W3C buffering rule: an event dispatched while
/// nobody listens is kept and delivered to the first listener added later.
///
/// Shared (package access) by `WebSocket` and `FayeEventSource`'s `EventSource`.
package struct ListenerList<Event: Sendable>: Sendable {
    /// A struct rather than a tuple: a closure stored in a tuple inside the array takes the most
    /// general representation, so storing one would allocate a second reabstraction thunk
    /// for every listener.
    fileprivate struct Entry: Sendable {
        let id: UInt64
        let call: @Sendable (Event) -> Void
    }

    private var listeners: [Entry] = []
    private var buffered: [Event] = []

    /// An empty list.
    package init() {}

    /// Adds a listener; returns the buffered events it must receive first.
    package mutating func add(id: UInt64, _ listener: @escaping @Sendable (Event) -> Void) -> [Event] {
        listeners.append(Entry(id: id, call: listener))
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

    /// Whether no listener is registered.
    package var isEmpty: Bool { listeners.isEmpty }

    /// How many events are buffered for the first listener.
    package var bufferedCount: Int { buffered.count }

    /// Takes the events buffered for the first listener: a consumer other than a listener took
    /// them, so no listener receives them any more.
    package mutating func takeBufferedEvents() -> [Event] {
        defer { buffered = [] }
        return buffered
    }

    /// As ``dispatch(_:)``, but keeping at most `limit` events for the first listener: beyond
    /// that, an event nobody listens to is dropped.
    package mutating func dispatch(_ event: Event, keepingAtMost limit: Int) -> Listeners {
        if listeners.isEmpty && buffered.count >= limit { return Listeners(entries: []) }
        return dispatch(event)
    }

    /// The listeners to call for an event that another consumer also took: never buffered.
    package var current: Listeners { Listeners(entries: listeners) }

    /// The listeners to call (the list's own storage, not a copy), or none after buffering the
    /// event.
    package mutating func dispatch(_ event: Event) -> Listeners {
        if listeners.isEmpty {
            buffered.append(event)
            return Listeners(entries: [])
        }
        return Listeners(entries: listeners)
    }

    /// The listeners one dispatch calls, outside the lock that guards the list.
    package struct Listeners: Sendable {
        fileprivate let entries: [Entry]

        /// Calls every listener with `event`, in order (no closure is converted to another
        /// representation on the way).
        package func callAll(_ event: Event) {
            for entry in entries { entry.call(event) }
        }
    }
}

/// The state of an event target (a ``WebSocket``, an EventSource) that hands out listener
/// tokens: the last id, and the listeners added off the event loop whose registration has not
/// run yet.
package protocol ListenerRegistry: Sendable {
    var nextListenerID: UInt64 { get set }
    var pendingListeners: Set<UInt64> { get set }
}

extension NIOLockedValueBox where Value: ListenerRegistry {
    /// Registers `listener` in `list` and hands it the events kept for a first listener, in one
    /// step on `loop`: no event dispatched meanwhile can overtake the kept ones. Off the loop the
    /// registration is a task there (events until then are kept and handed over with it); a
    /// ``removeListener(_:from:)`` before it runs cancels it. `afterBacklog` runs once kept
    /// events were delivered.
    package func addListener<Event: Sendable>(
        _ list: any WritableKeyPath<Value, ListenerList<Event>> & Sendable,
        on loop: any EventLoop,
        _ listener: @escaping @Sendable (Event) -> Void,
        afterBacklog: @escaping @Sendable () -> Void = {}
    ) -> ListenerToken {
        let onLoop = loop.inEventLoop
        let id = withLockedValue { state -> UInt64 in
            state.nextListenerID += 1
            if !onLoop { state.pendingListeners.insert(state.nextListenerID) }
            return state.nextListenerID
        }
        let register: @Sendable () -> Void = {
            let backlog = self.withLockedValue { state -> [Event]? in
                // Removed before this task ran: never registered.
                if !onLoop, state.pendingListeners.remove(id) == nil { return nil }
                return state[keyPath: list].add(id: id, listener)
            }
            guard let backlog, !backlog.isEmpty else { return }
            for event in backlog { listener(event) }
            afterBacklog()
        }
        if onLoop { register() } else { loop.execute(register) }
        return ListenerToken(id: id)
    }

    /// Removes a listener at once (also one whose registration is still a task on the loop):
    /// `remove` takes it out of the target's lists.
    package func removeListener(_ token: ListenerToken, from remove: (inout Value, UInt64) -> Void) {
        withLockedValue { state in
            state.pendingListeners.remove(token.id)
            remove(&state, token.id)
        }
    }
}
