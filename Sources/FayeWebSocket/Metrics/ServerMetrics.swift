import CoreMetrics
import WebSocketDriver

/// What the server side of the library reports through swift-metrics: connections open by
/// kind, WebSocket handshakes accepted and refused (by reason), messages and bytes in and out,
/// close codes, pings without pong.
///
/// It exists only when the application bootstrapped a metrics backend before the first
/// connection (``current`` is `nil` otherwise): without one, the only cost on a hot path is
/// checking for `nil`.
package final class ServerMetrics: Sendable {
    /// The metrics, when a backend is bootstrapped; decided once, at first use.
    package static let current: ServerMetrics? = MetricsSystem.factory is NOOPMetricsHandler ? nil : ServerMetrics()

    /// The kinds of open connections and streams (`faye_connections_open{kind}`).
    package enum Kind: String, Sendable {
        case http1 = "http/1.1"
        case http2 = "h2"
        case webSocket = "websocket"
        case eventSource = "eventsource"
    }

    private let open: [Kind: Meter]
    private let accepted = Counter(label: "faye_websocket_handshakes_total", dimensions: [("result", "accepted")])
    private let messagesIn = Counter(label: "faye_websocket_messages_total", dimensions: [("direction", "in")])
    private let messagesOut = Counter(label: "faye_websocket_messages_total", dimensions: [("direction", "out")])
    private let payloadIn = Counter(label: "faye_websocket_payload_bytes_total", dimensions: [("direction", "in")])
    private let payloadOut = Counter(label: "faye_websocket_payload_bytes_total", dimensions: [("direction", "out")])
    private let wireIn = Counter(label: "faye_websocket_wire_bytes_total", dimensions: [("direction", "in")])
    private let wireOut = Counter(label: "faye_websocket_wire_bytes_total", dimensions: [("direction", "out")])
    private let unansweredPings = Counter(label: "faye_websocket_pings_unanswered_total")

    private init() {
        var open: [Kind: Meter] = [:]
        for kind in [Kind.http1, .http2, .webSocket, .eventSource] {
            open[kind] = Meter(label: "faye_connections_open", dimensions: [("kind", kind.rawValue)])
        }
        self.open = open
    }

    package func opened(_ kind: Kind) { open[kind]?.increment() }
    package func closed(_ kind: Kind) { open[kind]?.decrement() }

    package func handshakeAccepted() { accepted.increment() }

    /// A refused handshake; `reason` is a short, bounded name (``reason(for:)``).
    package func handshakeRefused(_ reason: String) {
        Counter(label: "faye_websocket_handshakes_total", dimensions: [("result", "refused"), ("reason", reason)])
            .increment()
    }

    package func messageReceived(payloadBytes: Int) {
        messagesIn.increment()
        payloadIn.increment(by: Int64(payloadBytes))
    }

    package func messageSent(payloadBytes: Int) {
        messagesOut.increment()
        payloadOut.increment(by: Int64(payloadBytes))
    }

    package func wireBytesReceived(_ count: Int) { wireIn.increment(by: Int64(count)) }
    package func wireBytesSent(_ count: Int) { wireOut.increment(by: Int64(count)) }

    package func closedWith(_ code: CloseCode) {
        Counter(label: "faye_websocket_closes_total", dimensions: [("code", String(code.rawValue))]).increment()
    }

    package func pingUnanswered() { unansweredPings.increment() }

    /// A short name for why a handshake was refused, one of a fixed set (metrics dimensions
    /// must not take values from the peer).
    package static func reason(for error: ProtocolError) -> String {
        switch error {
        case .unsupportedVersion: return "version"
        case .missingHeader: return "missing_header"
        case .invalidKey: return "invalid_key"
        case .invalidExtensionOffer: return "extension_offer"
        case .notWebSocketRequest: return "not_websocket"
        case .invalidHTTPRequest: return "invalid_request"
        case .invalidDraft76Keys: return "invalid_key"
        default: return "other"
        }
    }
}

extension WebSocketMessage {
    /// The payload size in bytes (UTF-8 for text).
    var payloadCount: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .binary(let bytes): return bytes.count
        }
    }
}
