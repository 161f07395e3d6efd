import WebSocketExtensions

/// The client side of the RFC 6455 opening handshake (§4.1): the request, and the validation of
/// the server's response (§4.2.2, in the Ruby driver's order).
struct ClientHandshake {
    let url: WebSocketURL
    let protocols: [String]
    var headers: HeaderFields
    /// `base64` of 16 random bytes.
    let key: String

    init(url: WebSocketURL, protocols: [String], headers: HeaderFields) {
        self.url = url
        self.protocols = protocols
        self.headers = headers
        var generator = SystemRandomNumberGenerator()
        var nonce: [UInt8] = []
        for _ in 0..<2 { withUnsafeBytes(of: generator.next() as UInt64) { nonce.append(contentsOf: $0) } }
        self.key = Base64.encode(nonce)
    }

    /// `Basic` credentials from the URL's userinfo, unless the headers carry an `Authorization`.
    private var userinfoAuthorization: String? {
        guard let user = url.user, !headers.contains("Authorization") else { return nil }
        let credentials = user + ":" + (url.password ?? "")
        return "Basic \(Base64.encode(Array(credentials.utf8)))"
    }

    /// The request head, ending with the empty line.
    func request(extensionOffer: String?) -> String {
        var text = "GET \(url.requestTarget) HTTP/1.1\r\n"
        // A user-set Host replaces the URL's: a request must carry exactly one (RFC 7230 §5.4).
        text += "Host: \(headers.first("Host") ?? url.hostHeader)\r\n"
        text += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if !protocols.isEmpty { text += "Sec-WebSocket-Protocol: \(protocols.joined(separator: ", "))\r\n" }
        if let authorization = userinfoAuthorization { text += "Authorization: \(authorization)\r\n" }
        var custom = headers
        custom.removeAll(named: "Host")
        text += HTTPResponseText.headerLines(custom)
        if let extensionOffer { text += "Sec-WebSocket-Extensions: \(extensionOffer)\r\n" }
        text += "\r\n"
        return text
    }

    /// The extended CONNECT request of RFC 8441 §4 for an HTTP/2 host to send as HEADERS:
    /// `CONNECT` with `:protocol` `websocket`, the URL's target as `:path`, `Host` (the
    /// `:authority`) first, then the version, subprotocols, `Authorization` from the userinfo,
    /// the custom headers and the extension offer. No key: HTTP/2 has none.
    func extendedConnectRequest(extensionOffer: String?) -> IncomingRequest {
        var fields = HeaderFields()
        fields.append(name: "Host", value: headers.first("Host") ?? url.hostHeader)
        fields.append(name: "Sec-WebSocket-Version", value: "13")
        if !protocols.isEmpty {
            fields.append(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", "))
        }
        if let authorization = userinfoAuthorization { fields.append(name: "Authorization", value: authorization) }
        for field in headers where field.name.lowercased() != "host" {
            fields.append(name: field.name, value: field.value)
        }
        if let extensionOffer { fields.append(name: "Sec-WebSocket-Extensions", value: extensionOffer) }
        return IncomingRequest(
            method: "CONNECT", target: url.requestTarget, version: "HTTP/2", headers: fields,
            extendedConnectProtocol: "websocket")
    }

    /// Validates the response to an extended CONNECT (RFC 8441 §5): a 2xx status (200), then
    /// the subprotocol rule of RFC 6455; on success returns the selected subprotocol (if any).
    func validateExtendedConnect(_ response: HandshakeResponse) -> Result<String?, ProtocolError> {
        guard (200..<300).contains(response.status) else { return .failure(.unexpectedStatus(response.status)) }
        return selectedProtocol(in: response)
    }

    private func selectedProtocol(in response: HandshakeResponse) -> Result<String?, ProtocolError> {
        let chosen = response.headers["Sec-WebSocket-Protocol"] ?? ""
        if chosen.isEmpty { return .success(nil) }
        guard protocols.contains(chosen) else { return .failure(.protocolMismatch(chosen)) }
        return .success(chosen)
    }

    /// Validates the response; on success returns the selected subprotocol (if any).
    func validate(_ response: HandshakeResponse) -> Result<String?, ProtocolError> {
        guard response.status == 101 else { return .failure(.unexpectedStatus(response.status)) }
        guard let upgrade = response.headers["Upgrade"], !upgrade.isEmpty else {
            return .failure(.missingUpgradeHeader)
        }
        guard upgrade.lowercased() == "websocket" else { return .failure(.invalidUpgradeHeader(upgrade)) }
        guard let connection = response.headers["Connection"], !connection.isEmpty else {
            return .failure(.missingConnectionHeader)
        }
        guard response.headers.containsToken("upgrade", in: "Connection") else {
            return .failure(.invalidConnectionHeader(connection))
        }
        guard response.headers["Sec-WebSocket-Accept"] == ServerHandshake.acceptValue(forKey: key) else {
            return .failure(.acceptMismatch)
        }
        return selectedProtocol(in: response)
    }
}
