import WebSocketExtensions

/// A server's answer to a WebSocket request that a host server parsed and will answer itself.
///
/// Get one from ``Driver/decide(_:options:)``. The host writes the response it describes — the
/// `101` with ``AcceptedHandshake/headers``, or the refusal's status, headers and body — and,
/// after an acceptance, creates the connection's driver with
/// ``Driver/accepted(_:output:)``. The driver writes nothing of the handshake itself.
public enum HandshakeDecision {
    /// Accept: answer `101 Switching Protocols` with these headers.
    case accept(AcceptedHandshake)
    /// Refuse: answer with this status, headers and body, and keep serving.
    case refuse(HandshakeRefusal)
}

/// An accepted hybi-13 opening handshake (RFC 6455 §4.2.2), or an accepted extended CONNECT of
/// HTTP/2 (RFC 8441 §5), ready for the host to answer.
///
/// It carries the extension sessions negotiated for this one connection: hand it to
/// ``Driver/accepted(_:output:)`` once, on the thread that will run the driver.
public struct AcceptedHandshake {
    /// The request that was accepted.
    public let request: IncomingRequest
    /// The response status: `101` over HTTP/1.1, `200` for an HTTP/2 extended CONNECT.
    public let status: Int
    /// The response headers, in the order to write them: `Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept` (HTTP/1.1 only), then `Sec-WebSocket-Protocol` and
    /// `Sec-WebSocket-Extensions` when something was chosen, then ``DriverOptions/headers``.
    public let headers: HeaderFields
    /// The subprotocol chosen: the first one the client offered that the server supports.
    public let selectedProtocol: String?
    /// The names of the extensions negotiated, in registration order.
    public var extensions: [String] { negotiation.pipeline.extensionNames }

    let negotiation: ServerExtensionNegotiation
    let options: DriverOptions
}

/// A refused opening handshake: what to answer and why.
///
/// The status is 400 for a request that is not a valid WebSocket upgrade, 426 with
/// `Sec-WebSocket-Version: 13` for a version other than 13 (RFC 6455 §4.4). The body is the
/// reason as plain text, the same text the embedded server answers.
public struct HandshakeRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the request was refused.
    public let error: ProtocolError
    /// The HTTP status to answer with.
    public var status: Int { error.httpStatus ?? 400 }
    /// The reason, also the plain-text body of the response.
    public var reason: String { error.description }
    /// The response headers: `Content-Type`, and `Sec-WebSocket-Version: 13` for a 426.
    /// `Content-Length` and `Connection` are the host's to add.
    public var headers: HeaderFields {
        var headers: HeaderFields = ["Content-Type": "text/plain; charset=utf-8"]
        if case .unsupportedVersion = error { headers.append(name: "Sec-WebSocket-Version", value: "13") }
        return headers
    }
    /// The response body: ``reason`` in UTF-8.
    public var body: [UInt8] { Array(reason.utf8) }

    /// A refusal for `error`.
    public init(_ error: ProtocolError) {
        self.error = error
    }

    /// The status and the reason.
    public var description: String { "\(status) \(reason)" }
}
