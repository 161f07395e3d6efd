import NIOConcurrencyHelpers

/// This instance's clients: every message the doorbell's listener reads from the table is handed
/// to each of them, in id order.
///
/// Only the listener calls ``deliver(_:)``, one batch after the other, so every subscriber sees
/// one increasing sequence of ids. A subscriber added while a batch is being handed out gets the
/// next batch, not that one: those messages were committed before it subscribed (the listener
/// read them), so a replay from the table that starts after subscribing has them.
final class ChatHub: Sendable {
    /// Receives a batch of messages, in id order; called on the listener's task, so it must not
    /// wait (it queues bytes on its connection).
    typealias Subscriber = @Sendable ([ChatMessage]) -> Void

    /// Identifies a subscription, for ``unsubscribe(_:)``.
    struct Token: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Creates a hub without subscribers.
    init() {}

    /// The clients subscribed now.
    var count: Int { state.withLockedValue { $0.subscribers.count } }

    /// Adds `subscriber`: it gets every batch delivered from now on.
    func subscribe(_ subscriber: @escaping Subscriber) -> Token {
        state.withLockedValue { state in
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            return Token(value: state.nextID)
        }
    }

    /// Removes a subscription (the client is gone); nothing is delivered to it afterwards.
    func unsubscribe(_ token: Token) {
        state.withLockedValue { _ = $0.subscribers.removeValue(forKey: token.value) }
    }

    /// Hands `messages` (in id order, all newer than the previous batch) to every subscriber.
    func deliver(_ messages: [ChatMessage]) {
        guard !messages.isEmpty else { return }
        let subscribers = state.withLockedValue { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber(messages) }
    }
}
