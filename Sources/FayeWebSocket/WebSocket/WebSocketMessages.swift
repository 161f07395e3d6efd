import NIOCore
public import WebSocketDriver

/// The messages a ``WebSocket`` receives, as an `AsyncSequence` with backpressure: when the
/// consumer falls ``WebSocketOptions/messageBufferLimit`` messages behind, the socket stops
/// reading from the network until the consumer has caught up halfway.
///
/// The sequence ends when the connection closes. It can be iterated once.
public struct WebSocketMessages: AsyncSequence, Sendable {
    /// A whole text or binary message.
    public typealias Element = WebSocketMessage
    typealias Producer = NIOAsyncSequenceProducer<
        WebSocketMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, MessagesDelegate
    >

    let producer: Producer

    /// Iterates the messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        /// The next message, or `nil` once the connection closed.
        public mutating func next() async -> WebSocketMessage? {
            await base.next()
        }
    }

    /// Starts the iteration (the sequence can be iterated once).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: producer.makeAsyncIterator())
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
