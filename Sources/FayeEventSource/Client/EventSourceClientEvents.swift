import EventStream
import NIOConcurrencyHelpers
import NIOCore

/// The events of an ``EventSourceClient``, as an `AsyncSequence` with backpressure (see
/// ``EventSourceClient/events``).
public struct EventSourceClientEvents: AsyncSequence, Sendable {
    /// One dispatched event.
    public typealias Element = MessageEvent
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        MessageEvent, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, EventsDelegate
    >

    private let producer: Producer
    private let shared: NIOLockedValueBox<Shared>

    private struct Shared {
        var source: Producer.Source?
        var claimed = false
        var paused = false
    }

    init(bufferLimit: Int, delegate: EventsDelegate) {
        let limit = Swift.max(2, bufferLimit)
        let made = Producer.makeSequence(
            elementType: MessageEvent.self,
            failureType: (any Error).self,
            backPressureStrategy: .init(lowWatermark: limit / 2, highWatermark: limit),
            finishOnDeinit: true,
            delegate: delegate)
        producer = made.sequence
        shared = NIOLockedValueBox(Shared(source: made.source))
    }

    /// Whether the consumer is behind (the client must not read).
    var isPaused: Bool { shared.withLockedValue { $0.paused } }

    /// Hands an event to the consumer; `.stopProducing` when it is behind.
    func yield(_ event: MessageEvent) -> Producer.Source.YieldResult {
        guard let source = shared.withLockedValue({ $0.source }) else { return .dropped }
        let result = source.yield(event)
        if case .stopProducing = result { shared.withLockedValue { $0.paused = true } }
        return result
    }

    /// The consumer asked for more.
    func resumed() {
        shared.withLockedValue { $0.paused = false }
    }

    /// Ends the sequence: `nil` after the buffered events, or `error` after them.
    func finish(throwing error: EventSourceClientError?) {
        guard
            let source = shared.withLockedValue({ shared -> Producer.Source? in
                defer { shared.source = nil }
                return shared.source
            })
        else { return }
        if let error { source.finish(error) } else { source.finish() }
    }

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator?
        var finished = false

        /// The next event, or `nil` once the source closed without an error (or the task was
        /// cancelled).
        /// - Throws: the ``EventSourceClientError`` that closed the source, or
        ///   ``EventSourceClientError/Kind/eventsAlreadyIterated`` for a second iteration.
        public mutating func next() async throws -> MessageEvent? {
            guard !finished else { return nil }
            guard let base else {
                finished = true
                throw EventSourceClientError(
                    .eventsAlreadyIterated, message: "The events of an EventSourceClient can be iterated only once")
            }
            do {
                if let event = try await base.next() { return event }
            } catch {
                finished = true
                throw error
            }
            finished = true
            return nil
        }
    }

    /// Starts the iteration; only the first one gets the events.
    public func makeAsyncIterator() -> AsyncIterator {
        let first = shared.withLockedValue { shared -> Bool in
            defer { shared.claimed = true }
            return !shared.claimed
        }
        return AsyncIterator(base: first ? producer.makeAsyncIterator() : nil)
    }
}

/// Tells the client to read again when the consumer caught up or went away.
struct EventsDelegate: NIOAsyncSequenceProducerDelegate {
    /// Weak: the client keeps its sequence, which keeps this delegate.
    weak var client: EventSourceClient?

    func produceMore() {
        client?.eventsResumed()
    }

    func didTerminate() {
        client?.eventsResumed()
    }
}
