import WebSocketExtensions

/// The server side of the RFC 6455 opening handshake (§4.2): validates a request and builds the
/// 101 response, or the HTTP error that refuses it.
enum ServerHandshake {
    /// The GUID appended to the key before hashing (RFC 6455 §1.3).
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `base64(SHA-1(key + GUID))`.
    static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// Whether a request asks for a WebSocket upgrade: a GET whose `Connection` lists `upgrade`
    /// and whose `Upgrade` lists `websocket` (both compared without regard to case).
    static func isUpgradeRequest(_ request: IncomingRequest) -> Bool {
        if isExtendedConnect(request) { return true }
        return request.method == "GET" && request.headers.containsToken("upgrade", in: "Connection")
            && request.headers.containsToken("websocket", in: "Upgrade")
    }

    /// Whether a request is an HTTP/2 extended CONNECT for a WebSocket (RFC 8441 §4).
    static func isExtendedConnect(_ request: IncomingRequest) -> Bool {
        request.method == "CONNECT" && request.extendedConnectProtocol?.lowercased() == "websocket"
    }

    /// The client's subprotocol list, in its order.
    static func offeredProtocols(_ request: IncomingRequest) -> [String] {
        request.headers.values(for: "Sec-WebSocket-Protocol").flatMap { value in
            value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        }
    }

    /// The first protocol the client offers that the server supports, in the client's order.
    static func selectProtocol(_ request: IncomingRequest, supported: [String]) -> String? {
        offeredProtocols(request).first { supported.contains($0) }
    }

    /// Validates a hybi-13 request in RFC 6455 §4.2.1 order and negotiates with it: the one
    /// set of handshake rules, for the driver that writes its own response and for a host that
    /// writes it (``Driver/decide(_:options:)``).
    static func decide(_ request: IncomingRequest, options: DriverOptions) -> HandshakeDecision {
        let isHTTP2 = request.extendedConnectProtocol != nil
        switch isHTTP2 ? validateExtendedConnect(request) : validate(request) {
        case .failure(let error):
            return .refuse(HandshakeRefusal(error))
        case .success(let key):
            let negotiation: ServerExtensionNegotiation
            do {
                negotiation = try options.extensions.negotiateServer(
                    offerHeader: request.headers["Sec-WebSocket-Extensions"])
            } catch {
                return .refuse(HandshakeRefusal(.invalidExtensionOffer(error)))
            }
            let selected = selectProtocol(request, supported: options.protocols)
            // RFC 8441 §5: the 200 of an extended CONNECT has no Upgrade, Connection or Accept.
            var headers: HeaderFields =
                isHTTP2
                ? HeaderFields()
                : [
                    "Upgrade": "websocket",
                    "Connection": "Upgrade",
                    "Sec-WebSocket-Accept": acceptValue(forKey: key),
                ]
            if let selected { headers.append(name: "Sec-WebSocket-Protocol", value: selected) }
            if let extensionHeader = negotiation.responseHeader {
                headers.append(name: "Sec-WebSocket-Extensions", value: extensionHeader)
            }
            for field in options.headers { headers.append(name: field.name, value: field.value) }
            return .accept(
                AcceptedHandshake(
                    request: request,
                    status: isHTTP2 ? 200 : 101,
                    headers: headers,
                    selectedProtocol: selected,
                    negotiation: negotiation,
                    options: options
                ))
        }
    }

    /// The checks of RFC 8441 §4-5 for an HTTP/2 extended CONNECT (the pseudo-header syntax is
    /// the HTTP/2 layer's): `websocket` as `:protocol`, a target, a `Host` (from `:authority`)
    /// and version 13. There is no key; the success value is empty.
    private static func validateExtendedConnect(_ request: IncomingRequest) -> Result<String, ProtocolError> {
        guard request.method == "CONNECT" else {
            return .failure(.notWebSocketRequest("the method is \(request.method), not CONNECT"))
        }
        guard isExtendedConnect(request) else {
            let name = request.extendedConnectProtocol ?? ""
            return .failure(.notWebSocketRequest("the :protocol pseudo-header is \"\(name)\", not websocket"))
        }
        guard request.target.hasPrefix("/") else {
            return .failure(.notWebSocketRequest("the :path pseudo-header is missing or not an absolute path"))
        }
        guard let host = request.headers.first("Host"), !host.isEmpty else {
            return .failure(.missingHeader(":authority"))
        }
        let versions = request.headers.values(for: "Sec-WebSocket-Version")
        guard versions.count == 1, versions[0] == "13" else {
            return .failure(.unsupportedVersion(versions.isEmpty ? nil : request.headers["Sec-WebSocket-Version"]))
        }
        return .success("")
    }

    /// The request checks of RFC 6455 §4.2.1, in order; the key when they pass.
    private static func validate(_ request: IncomingRequest) -> Result<String, ProtocolError> {
        guard request.method == "GET" else {
            return .failure(.notWebSocketRequest("the method is \(request.method), not GET"))
        }
        guard request.version != "HTTP/1.0" else {
            return .failure(.notWebSocketRequest("HTTP/1.1 or later is required"))
        }
        guard request.headers.containsToken("websocket", in: "Upgrade") else {
            return .failure(.notWebSocketRequest("the Upgrade header does not name websocket"))
        }
        guard request.headers.containsToken("upgrade", in: "Connection") else {
            return .failure(.notWebSocketRequest("the Connection header does not list Upgrade"))
        }
        guard let host = request.headers.first("Host"), !host.isEmpty else {
            return .failure(.missingHeader("Host"))
        }
        let versions = request.headers.values(for: "Sec-WebSocket-Version")
        guard versions.count == 1, versions[0] == "13" else {
            return .failure(.unsupportedVersion(versions.isEmpty ? nil : request.headers["Sec-WebSocket-Version"]))
        }
        let keys = request.headers.values(for: "Sec-WebSocket-Key")
        guard let key = keys.first else { return .failure(.missingHeader("Sec-WebSocket-Key")) }
        guard keys.count == 1, Base64.decode(key)?.count == 16 else {
            return .failure(.invalidKey(request.headers["Sec-WebSocket-Key"] ?? key))
        }
        return .success(key)
    }
}

/// Text of the plain HTTP responses a driver writes.
enum HTTPResponseText {
    /// `Name: value\r\n` for each field, in order.
    static func headerLines(_ headers: HeaderFields) -> String {
        var text = ""
        for field in headers { text += "\(field.name): \(field.value)\r\n" }
        return text
    }

    /// The reason phrase of the statuses a driver answers with.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 426: return "Upgrade Required"
        case 431: return "Request Header Fields Too Large"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }

    /// The `101 Switching Protocols` head of an accepted handshake.
    static func switchingProtocols(_ handshake: AcceptedHandshake) -> String {
        "HTTP/1.1 101 Switching Protocols\r\n" + headerLines(handshake.headers) + "\r\n"
    }

    /// The response refusing a handshake: the status, a plain-text body with the reason, and
    /// `Sec-WebSocket-Version: 13` where RFC 6455 §4.4 asks for it.
    static func refusal(_ error: ProtocolError) -> String {
        let refusal = HandshakeRefusal(error)
        var text = "HTTP/1.1 \(refusal.status) \(reasonPhrase(refusal.status))\r\n"
        text += "Content-Type: text/plain; charset=utf-8\r\n"
        text += "Content-Length: \(refusal.body.count)\r\n"
        for field in refusal.headers where field.name != "Content-Type" {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        text += refusal.reason
        return text
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
