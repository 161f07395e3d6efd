public import WebSocketDriver

/// Why a WebSocket failed, or why an operation on it could not be done: the one error type of
/// the socket API.
///
/// The same value reaches the error event (``WebSocket/onError(_:)``), is thrown by
/// ``WebSocket/connect(to:options:clientOptions:)`` and ``WebSocket/closed()``, and ends the
/// ``WebSocket/messages`` sequence. Switch over ``kind`` for the cause; ``message`` says it in a
/// sentence meant for people.
public struct WebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The cause.
    public enum Kind: Hashable, Sendable {
        /// The URL is not a valid `ws:` or `wss:` URL (the message says why).
        case invalidURL
        /// The host name did not resolve.
        case dnsLookupFailed(host: String)
        /// The TCP connection was refused or could not be made; `errno` is the system's error
        /// number when there is one (`ECONNREFUSED` for a refused port).
        case connectionFailed(host: String, port: Int, errno: Int32?)
        /// The connection, or its opening handshake, did not complete within the client's
        /// ``WebSocketClientOptions/connectTimeout``.
        case connectTimeout(Duration)
        /// TLS failed; the ``TLSError`` keeps its kind (a certificate that did not verify, a
        /// peer that does not speak TLS, …).
        case tls(TLSError)
        /// The HTTP CONNECT proxy refused the tunnel or answered something else than HTTP; a
        /// refusal keeps the proxy's status and headers.
        case proxy(ProxyError)
        /// The server answered the opening handshake with a status other than 101; the
        /// response keeps its status and headers.
        case handshakeRejected(HandshakeResponse)
        /// The opening handshake was invalid (a missing or wrong header, an accept key that does
        /// not match, a subprotocol or extension that was not offered).
        case handshakeFailed(ProtocolError)
        /// The peer broke the protocol after the handshake; the connection was closed with
        /// the protocol error's `closeCode`.
        case protocolViolation(ProtocolError)
        /// No pong answered a keep-alive ping in time (``WebSocketOptions/pongTimeout``).
        case pongTimeout(Duration)
        /// The peer stopped reading: ``WebSocket/bufferedAmount`` passed
        /// ``WebSocketOptions/maxBufferedAmount``.
        case bufferedAmountExceeded(limit: Int)
        /// The established connection failed (reset, broken pipe, closed mid-write).
        case connectionLost
        /// The socket is closing or closed: nothing was sent.
        case notOpen
        /// The connection closed before the message was written: it never reached the wire.
        case closedBeforeSent
        /// ``WebSocket/messages`` was iterated a second time; a sequence has one consumer.
        case messagesAlreadyIterated
    }

    /// The cause.
    public var kind: Kind
    /// The cause in a sentence meant for people.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The protocol error behind the failure, when there is one.
    public var protocolError: ProtocolError? {
        switch kind {
        case .handshakeFailed(let error), .protocolViolation(let error): return error
        case .handshakeRejected(let response): return .unexpectedStatus(response.status)
        default: return nil
        }
    }

    /// The message.
    public var description: String { message }

    /// The kind of a failure on an established (or establishing) transport: a TLS error keeps
    /// its kind, anything else lost the connection.
    static func transportKind(of error: any Error) -> Kind {
        (error as? TLSError).map { .tls($0) } ?? .connectionLost
    }

    static let notOpen = WebSocketError(.notOpen, message: "The WebSocket is not open")
    static let closedBeforeSent = WebSocketError(
        .closedBeforeSent, message: "The connection closed before the message was sent")
    static let messagesAlreadyIterated = WebSocketError(
        .messagesAlreadyIterated, message: "The messages of a WebSocket can be iterated only once")
}
