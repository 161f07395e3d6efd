import NIOConcurrencyHelpers
import NIOCore
public import WebSocketDriver

/// The messages a ``WebSocket`` receives, as an `AsyncSequence` with backpressure: when the
/// consumer falls ``WebSocketOptions/messageBufferLimit`` messages behind, the socket stops
/// reading from the network until the consumer has caught up halfway.
///
/// The sequence ends when the connection closes: it returns `nil` after a close without an
/// error, and throws the connection's ``WebSocketError`` after a failure (the error event's
/// value). It has one consumer: a second iteration throws
/// ``WebSocketError/Kind/messagesAlreadyIterated``. Cancelling the iterating task ends the
/// iteration (`nil`) and leaves the socket open; use
/// ``WebSocket/withConnection(to:options:clientOptions:_:)`` to tie the socket to the task.
public struct WebSocketMessages: AsyncSequence, Sendable {
    /// A whole text or binary message.
    public typealias Element = WebSocketMessage
    typealias Producer = NIOAsyncSequenceProducer<
        WebSocketMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, MessagesDelegate
    >

    let producer: Producer
    /// The connection's failure, once reported (set by the socket, which keeps the sequence;
    /// the sequence does not keep the socket).
    let failure: NIOLockedValueBox<WebSocketError?>
    private let claimed = NIOLockedValueBox(false)

    init(producer: Producer, failure: WebSocketError?) {
        self.producer = producer
        self.failure = NIOLockedValueBox(failure)
    }

    /// Iterates the messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator?
        let failure: NIOLockedValueBox<WebSocketError?>
        var finished = false

        /// The next message, or `nil` once the connection closed without an error (or the task
        /// was cancelled).
        /// - Throws: the connection's ``WebSocketError`` once it ended with one, or
        ///   ``WebSocketError/Kind/messagesAlreadyIterated`` for a second iteration.
        public mutating func next() async throws -> WebSocketMessage? {
            guard !finished else { return nil }
            guard let iterator = base else {
                finished = true
                throw WebSocketError.messagesAlreadyIterated
            }
            if let message = await iterator.next() { return message }
            finished = true
            if !Task.isCancelled, let failure = failure.withLockedValue({ $0 }) { throw failure }
            return nil
        }
    }

    /// Starts the iteration. The first call gets the messages; any later one gets an iterator
    /// that throws ``WebSocketError/Kind/messagesAlreadyIterated``.
    public func makeAsyncIterator() -> AsyncIterator {
        let first = claimed.withLockedValue { claimed -> Bool in
            defer { claimed = true }
            return !claimed
        }
        return AsyncIterator(base: first ? producer.makeAsyncIterator() : nil, failure: failure)
    }
}

/// Tells the connection to read again, or that the consumer went away.
struct MessagesDelegate: NIOAsyncSequenceProducerDelegate {
    /// Weak: the socket keeps its sequence, which keeps this delegate.
    weak var socket: WebSocket?

    func produceMore() {
        socket?.withHandler { $0.resumeReading() }
    }

    func didTerminate() {
        socket?.withHandler { $0.resumeReading() }
        socket?.messagesTerminated()
    }
}
