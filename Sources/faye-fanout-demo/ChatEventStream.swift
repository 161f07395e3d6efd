import FayeEventSource
import Logging
import NIOConcurrencyHelpers

/// One EventSource client of the chat: every message after its `Last-Event-ID`, replayed from the
/// table, then the live ones, each exactly once and in id order.
///
/// Gap-free and duplicate-free by construction:
/// 1. it subscribes to the hub first, holding what the hub delivers;
/// 2. then it replays from the table every message after `Last-Event-ID`, page by page, each
///    send waiting for the connection (so a slow client holds up only its own replay);
/// 3. then, under the same lock the hub's deliveries take, it sends what it held with an id
///    above the last one replayed, and from then on sends live messages as they come.
///
/// A message committed before the last page was read is in the replay; one committed after it
/// was read by the listener after step 1, so the hub delivered it here. Ids only grow, so
/// "above the last id sent" drops exactly the copies.
///
/// Without a `Last-Event-ID` (a first connection) there is no replay: the stream starts with the
/// live messages.
final class ChatEventStream: Sendable {
    private enum Phase {
        /// Replaying from the table; the hub's deliveries are held here meanwhile.
        case replaying(held: [ChatMessage])
        /// Sending the hub's deliveries as they come; `lastSent` is the last id sent (0: none).
        case live(lastSent: Int64)
        /// The stream is gone (or was dropped for reading too slowly).
        case closed
    }

    private let source: EventSource
    private let phase: NIOLockedValueBox<Phase>

    private init(source: EventSource, phase: Phase) {
        self.source = source
        self.phase = NIOLockedValueBox(phase)
    }

    /// Serves `source`: subscribes it to `hub` and, after a `Last-Event-ID`, replays from `store`
    /// first. Call it from the EventSource's setup closure.
    static func serve(_ source: EventSource, hub: ChatHub, store: any ChatStore, logger: Logger) {
        let resumeAfter = Self.resumePoint(source.lastEventId)
        let stream = ChatEventStream(
            source: source, phase: resumeAfter == nil ? .live(lastSent: 0) : .replaying(held: []))
        let token = hub.subscribe { messages in stream.receive(messages) }
        guard let resumeAfter else {
            source.onClose { _ in
                hub.unsubscribe(token)
                stream.close()
            }
            return
        }
        let replay = Task { await stream.replay(after: resumeAfter, from: store, logger: logger) }
        source.onClose { _ in
            hub.unsubscribe(token)
            replay.cancel()
            stream.close()
        }
    }

    /// The id to replay after: `Last-Event-ID` as a non-negative integer; `nil` when there is
    /// none (or it is not one of ours), for a live-only stream.
    static func resumePoint(_ lastEventID: String) -> Int64? {
        guard let id = Int64(lastEventID), id >= 0 else { return nil }
        return id
    }

    /// Step 2, then step 3: the messages after `id` from the table, then the held ones.
    private func replay(after id: Int64, from store: any ChatStore, logger: Logger) async {
        var last = id
        do {
            while true {
                let page = try await store.messages(after: last, limit: FanOutLimits.pageSize)
                for message in page {
                    try await source.send(message.json, id: String(message.id))
                    last = message.id
                }
                if page.count < FanOutLimits.pageSize { break }
            }
        } catch is EventSourceError {
            return  // the client went away
        } catch  where Task.isCancelled {
            return  // the client went away while the table was read
        } catch {
            // The table cannot be read: end the stream; the client comes back after `retry`.
            logger.warning("eventsource replay after \(id) failed: \(String(reflecting: error))")
            source.close()
            return
        }
        phase.withLockedValue { phase in
            guard case .replaying(let held) = phase else { return }
            phase = .live(lastSent: last)
            send(held, in: &phase)
        }
    }

    /// A batch from the hub: held while replaying, sent when live.
    private func receive(_ messages: [ChatMessage]) {
        phase.withLockedValue { phase in
            switch phase {
            case .replaying(var held):
                guard held.count + messages.count <= FanOutLimits.maxHeldDuringReplay else {
                    phase = .closed
                    source.terminate()
                    return
                }
                held.append(contentsOf: messages)
                phase = .replaying(held: held)
            case .live:
                send(messages, in: &phase)
            case .closed:
                break
            }
        }
    }

    /// Sends the messages newer than the last one sent, without waiting (the lock is held, so
    /// they reach the connection in order); a client that lets too much pile up is dropped.
    private func send(_ messages: [ChatMessage], in phase: inout Phase) {
        guard case .live(var lastSent) = phase else { return }
        for message in messages where message.id > lastSent {
            guard source.bufferedAmount <= FanOutLimits.maxBufferedBytes else {
                phase = .closed
                source.terminate()
                return
            }
            do {
                try source.send(message.json, id: String(message.id))
            } catch {
                phase = .closed
                return
            }
            lastSent = message.id
        }
        phase = .live(lastSent: lastSent)
    }

    private func close() {
        phase.withLockedValue { $0 = .closed }
    }
}
