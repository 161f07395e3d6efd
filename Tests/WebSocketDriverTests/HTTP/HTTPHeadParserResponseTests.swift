import Testing

@testable import WebSocketDriver

@Suite("HTTP head parser: responses")
struct HTTPHeadParserResponseTests {
    private typealias Reason = HTTPHeadParserReason

    @Test("RFC 6455 §1.3 server handshake, followed by a first frame")
    func rfc6455ServerHandshake() throws {
        let head =
            "HTTP/1.1 101 Switching Protocols\r\n" + "Upgrade: websocket\r\n" + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" + "Sec-WebSocket-Protocol: chat\r\n" + "\r\n"
        let frame: [UInt8] = [0x81, 0x05] + Array("Hello".utf8)
        let expected = HandshakeResponse(
            status: 101,
            reason: "Switching Protocols",
            headers: [
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "Sec-WebSocket-Protocol": "chat",
            ]
        )
        var parser = HTTPHeadParser(kind: .response)
        let bytes = Array(head.utf8) + frame
        let result = try parser.testParse(bytes)
        #expect(result == .response(expected, consumed: head.utf8.count))
        guard case .response(let response, let consumed) = result else { return }
        #expect(response.version == "HTTP/1.1")
        #expect(Array(bytes[consumed...]) == frame)
        #expect(response.headers.containsToken("Upgrade", in: "connection"))
        #expect(response.headers.first("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test(
        "Status lines",
        arguments: [
            ("HTTP/1.1 101 Switching Protocols", "HTTP/1.1", 101, "Switching Protocols"),
            ("HTTP/1.0 404 Not Found", "HTTP/1.0", 404, "Not Found"),
            ("HTTP/1.1 101", "HTTP/1.1", 101, ""),
            ("HTTP/1.1 101 ", "HTTP/1.1", 101, ""),
            ("HTTP/1.1 200 Very  OK\t! ", "HTTP/1.1", 200, "Very  OK\t! "),
            ("HTTP/1.1 200 Tr\u{E8}s bien", "HTTP/1.1", 200, "Tr\u{E8}s bien"),
            ("HTTP/1.1 599 x", "HTTP/1.1", 599, "x"),
            ("HTTP/1.1 407 Proxy Authentication Required", "HTTP/1.1", 407, "Proxy Authentication Required"),
        ])
    func statusLine(line: String, version: String, status: Int, reason: String) throws {
        for ending in ["\r\n", "\n"] {
            let text = line + ending + "Server: x" + ending + ending
            let expected = HandshakeResponse(version: version, status: status, reason: reason, headers: ["Server": "x"])
            #expect(
                try HTTPHeadParser.testParse(text, kind: .response) == .response(expected, consumed: text.utf8.count)
            )
        }
    }

    @Test(
        "Malformed status lines",
        arguments: [
            ("", HTTPParseError.malformedStartLine(reason: Reason.emptyStatusLine)),
            ("HTTP/1.1", .malformedStartLine(reason: Reason.missingStatus)),
            ("HTTP/1.1 20 OK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 20", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 2000 OK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 20a OK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1  200 OK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 OK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 ", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/1.1 200\tOK", .malformedStartLine(reason: Reason.badStatus)),
            ("HTTP/2 200 OK", .malformedStartLine(reason: Reason.badVersion)),
            ("ICY 200 OK", .malformedStartLine(reason: Reason.badVersion)),
            ("http/1.1 200 OK", .malformedStartLine(reason: Reason.badVersion)),
            ("HTTP/1.1\t200 OK", .malformedStartLine(reason: Reason.badVersion)),
            ("HTTP/2.0 200 OK", .unsupportedVersion("HTTP/2.0")),
            ("HTTP/1.2 200 OK", .unsupportedVersion("HTTP/1.2")),
            ("HTTP/1.1 200 O\u{0}K", .invalidCharacter(line: 1, byte: 0x00)),
            ("HTTP/1.1 200 OK\r", .invalidCharacter(line: 1, byte: 0x0D)),
            ("HTTP/1.1 200 OK\u{7F}", .invalidCharacter(line: 1, byte: 0x7F)),
        ])
    func malformedStatusLine(line: String, error: HTTPParseError) {
        #expect(
            error.suggestedStatus
                == (error == .unsupportedVersion("HTTP/2.0") || error == .unsupportedVersion("HTTP/1.2") ? 505 : 400))
        #expect(throws: error) { try HTTPHeadParser.testParse(line + "\r\nServer: x\r\n\r\n", kind: .response) }
    }

    @Test("Empty lines before a status line are not skipped")
    func noLeadingEmptyLines() {
        #expect(throws: HTTPParseError.malformedStartLine(reason: Reason.emptyStatusLine)) {
            try HTTPHeadParser.testParse("\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n", kind: .response)
        }
    }

    @Test("A request parser rejects a response and vice versa")
    func wrongKind() {
        // "HTTP/1.1" is not a token ("/" is not a tchar), so it cannot be a method.
        #expect(throws: HTTPParseError.malformedStartLine(reason: Reason.methodNotToken)) {
            try HTTPHeadParser.testParse("HTTP/1.1 101 Switching Protocols\r\n\r\n", kind: .request)
        }
        #expect(throws: HTTPParseError.malformedStartLine(reason: Reason.badVersion)) {
            try HTTPHeadParser.testParse("GET / HTTP/1.1\r\n\r\n", kind: .response)
        }
    }
}
