import NIOConcurrencyHelpers
import NIOCore
import WebSocketDriver

/// The HTTP/2 connections client WebSockets share, one per origin (host, port, TLS settings)
/// and event loop, and what is known of origins that do not take WebSockets over HTTP/2.
final class HTTP2ClientPool: Sendable {
    /// The process's pool.
    static let shared = HTTP2ClientPool()

    /// How long an origin that answered without `h2` or without extended CONNECT is reached
    /// over HTTP/1.1 before HTTP/2 is tried again.
    static let http1Memory: TimeAmount = .seconds(60)

    private struct Key: Hashable {
        var host: String
        var port: Int
        var tls: TLSClientConfiguration
        var eventLoop: ObjectIdentifier
    }

    private enum Entry {
        case connection(NIOLoopBound<HTTP2ClientConnection>)
        case http1Until(NIODeadline)
    }

    private let entries = NIOLockedValueBox([Key: Entry]())

    /// Finds or opens the connection for `target` on `eventLoop` and runs `body` with the
    /// outcome (on `eventLoop`). Call on `eventLoop`.
    func withConnection(
        to target: WebSocketURL,
        shownURL: String,
        options: WebSocketClientOptions,
        eventLoop: any EventLoop,
        _ body: @escaping (HTTP2ClientConnection.Outcome) -> Void
    ) {
        let key = Key(host: target.host, port: target.port, tls: options.tls, eventLoop: ObjectIdentifier(eventLoop))
        let now = NIODeadline.now()
        let found = entries.withLockedValue { entries -> Entry? in entries[key] }
        switch found {
        case .http1Until(let deadline) where deadline > now:
            body(.http1)
            return
        case .connection(let bound) where bound.value.isOpening || bound.value.isUsable:
            bound.value.wait(body)
            return
        default:
            break
        }
        let connection = HTTP2ClientConnection(
            eventLoop: eventLoop, host: target.host, port: target.port, shownURL: shownURL
        ) { [self] connection, outcome in
            guard case .http1 = outcome else { return }
            replace(key, expected: connection, with: .http1Until(.now() + Self.http1Memory))
        } onClose: { [self] connection in
            replace(key, expected: connection, with: nil)
        }
        entries.withLockedValue { $0[key] = .connection(NIOLoopBound(connection, eventLoop: eventLoop)) }
        connection.wait(body)
        var connectionOptions = options
        connectionOptions.tls.applicationProtocols = ["h2", "http/1.1"]
        ClientTransport(target: target, shownURL: shownURL, options: connectionOptions, eventLoop: eventLoop)
            .open(connection)
    }

    /// Sets `key`'s entry when it is still `expected`'s.
    private func replace(_ key: Key, expected: HTTP2ClientConnection, with entry: Entry?) {
        entries.withLockedValue { entries in
            guard case .connection(let bound) = entries[key], bound.value === expected else { return }
            entries[key] = entry
        }
    }
}
