import PermessageDeflate
import WebSocketExtensions

/// What an idle release costs the message after it: a server session compresses and a client
/// session inflates distinct text messages with context takeover (full 32 KiB windows), with
/// both sessions released before every message (the worst case: every message arrives just
/// after an idle period) against the same sessions never released. The idle period
/// (`WebSocketOptions.extensionIdleRelease`) is chosen from these figures.
struct IdleReleaseCostBench {
    let settings: BenchSettings

    static let sizes = [1024, 16 * 1024]

    /// The case's name for messages of `size` bytes.
    static func name(_ size: Int) -> String { "text \(Size.label(size)) released before every message" }

    func run(into report: Report) throws {
        for size in Self.sizes where settings.includes(Self.name(size)) {
            let messages = (0..<64).map { Payloads.text(count: size, seed: UInt64($0) + 101) }
            let released = try OurDeflate(configuration: PermessageDeflate())
            let kept = try OurDeflate(configuration: PermessageDeflate())
            // Fill both windows first, as on a connection that has been talking for a while.
            _ = try released.roundTrip(messages)
            _ = try kept.roundTrip(messages)
            let rates = try Measure.alternating(
                repetitions: settings.repetitions,
                ours: { try Self.rate(released, messages, releasing: true, settings: settings) },
                reference: { try Self.rate(kept, messages, releasing: false, settings: settings) })
            report.add(
                BenchRow(
                    bench: "idle release", name: Self.name(size), ours: rates.ours, reference: rates.reference,
                    unit: "msgs/s", higherIsBetter: true, referenceName: "never released"))
        }
    }

    private static func rate(
        _ pair: OurDeflate, _ messages: [[UInt8]], releasing: Bool, settings: BenchSettings
    ) throws -> Double {
        var failure: (any Error)?
        let rate = Measure.rate(minimumSeconds: settings.minimumSeconds) {
            do {
                for payload in messages {
                    if releasing {
                        pair.server.releaseIdleState()
                        pair.client.releaseIdleState()
                    }
                    let outgoing = try pair.server.processOutgoingMessage(Message(opcode: .text, payload: payload))
                    let incoming = try pair.client.processIncomingMessage(outgoing, maxLength: Int.max)
                    guard incoming.payload.count == payload.count else { throw BenchError("inflated size differs") }
                }
            } catch {
                failure = error
            }
            return Double(messages.count)
        }
        if let failure { throw failure }
        return rate
    }
}
