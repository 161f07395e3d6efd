#if Vapor
    import FayeEventSource
    import NIOConcurrencyHelpers
    public import Vapor

    /// The event streams an application serves through ``Vapor/Request/fayeEventSource(options:setup:)``
    /// and that are still open.
    ///
    /// Vapor's server shutdown waits for every response to end, and an event stream does not end
    /// by itself: call ``closeAll()`` before `app.server.shutdown()` (or in your signal handling)
    /// so that each stream ends after what it already sent and clients reconnect elsewhere.
    public final class FayeEventSources: Sendable {
        private let open = NIOLockedValueBox([ObjectIdentifier: EventSource]())

        init() {}

        /// How many streams are open.
        public var count: Int { open.withLockedValue { $0.count } }

        /// Closes every open stream (`EventSource.close()`: what was sent is written first).
        public func closeAll() {
            for source in open.withLockedValue({ Array($0.values) }) { source.close() }
        }

        /// Tracks `source` until it closes.
        func add(_ source: EventSource) {
            let id = ObjectIdentifier(source)
            open.withLockedValue { $0[id] = source }
            source.onClose { [weak self] _ in self?.open.withLockedValue { _ = $0.removeValue(forKey: id) } }
        }
    }

    extension Application {
        private struct FayeEventSourcesKey: StorageKey, LockKey {
            typealias Value = FayeEventSources
        }

        /// The open event streams of this application (see ``FayeEventSources``).
        public var fayeEventSources: FayeEventSources {
            locks.lock(for: FayeEventSourcesKey.self).withLock {
                if let existing = storage[FayeEventSourcesKey.self] { return existing }
                let created = FayeEventSources()
                storage[FayeEventSourcesKey.self] = created
                return created
            }
        }
    }
#endif
