import NIOConcurrencyHelpers
import NIOCore

/// A long-lived stream a server ends cleanly when it shuts down gracefully (an EventSource):
/// told to drain, it hints the client to come back soon, ends, and reports when it is gone.
package protocol DrainableStream: AnyObject, Sendable {
    /// Ends the stream cleanly after advising the client to reconnect after `retryHint`.
    func drain(retryHint: Duration)
    /// Ends the stream at once.
    func terminate()
    /// Runs `body` once the stream is gone (at once when it already is).
    func whenGone(_ body: @escaping @Sendable () -> Void)
}

/// The drainable streams a server has open.
package final class DrainableStreams: Sendable {
    private let streams = NIOLockedValueBox([ObjectIdentifier: any DrainableStream]())

    package init() {}

    /// Tracks `stream` until it is gone.
    package func add(_ stream: any DrainableStream) {
        let id = ObjectIdentifier(stream)
        streams.withLockedValue { $0[id] = stream }
        stream.whenGone { [self] in streams.withLockedValue { _ = $0.removeValue(forKey: id) } }
    }

    package func all() -> [any DrainableStream] {
        streams.withLockedValue { Array($0.values) }
    }
}

/// A takeover whose streams a server tracks for its graceful shutdown.
package protocol DrainRegistering: ConnectionTakeover {
    /// The same takeover, adding each stream it makes to `streams`.
    func registering(with streams: DrainableStreams) -> any ConnectionTakeover
}
