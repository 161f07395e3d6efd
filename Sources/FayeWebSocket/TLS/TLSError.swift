import COpenSSL

/// A TLS failure, with a message meant for people (OpenSSL's reason included).
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Hashable {
        /// A certificate, key or trust file could not be loaded, or a setting was refused.
        case configuration
        /// The peer's certificate did not verify (chain, validity or name).
        case certificateVerificationFailed
        /// The handshake failed for another reason (an alert from the peer, no common version…).
        case handshakeFailed
        /// The peer does not speak TLS at all.
        case notTLS
        /// The handshake did not finish in time.
        case handshakeTimeout
        /// The connection closed before the handshake finished.
        case closedDuringHandshake
        /// The connection closed in the middle of a TLS record.
        case truncated
        /// A protocol error after the handshake (a bad record, an alert).
        case protocolError
    }

    /// What kind of failure.
    public var kind: Kind
    /// The message.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// OpenSSL's thread-local error queue.
enum OpenSSLErrorQueue {
    /// Empties the queue (before an operation whose failure is inspected afterwards).
    static func clear() {
        ERR_clear_error()
    }

    /// The reasons of the queued errors, oldest first, emptying the queue.
    static func drain() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                let text = String(cString: reason)
                if !reasons.contains(text) { reasons.append(text) }
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons
    }

    /// The drained reasons joined, or `fallback` when the queue is empty.
    static func message(or fallback: String) -> String {
        let reasons = drain()
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
