import Testing

@testable import WebSocketDriver

@Suite("HTTP head parser: requests")
struct HTTPHeadParserRequestTests {
    private typealias Reason = HTTPHeadParserReason

    @Test("RFC 6455 §1.3 client handshake")
    func rfc6455ClientHandshake() throws {
        let text =
            "GET /chat HTTP/1.1\r\n" + "Host: server.example.com\r\n" + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n" + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Origin: http://example.com\r\n" + "Sec-WebSocket-Protocol: chat, superchat\r\n"
            + "Sec-WebSocket-Version: 13\r\n" + "\r\n"
        let expected = IncomingRequest(
            method: "GET",
            target: "/chat",
            headers: [
                "Host": "server.example.com",
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Origin": "http://example.com",
                "Sec-WebSocket-Protocol": "chat, superchat",
                "Sec-WebSocket-Version": "13",
            ]
        )
        let result = try HTTPHeadParser.testParse(text)
        #expect(result == .request(expected, consumed: text.utf8.count))

        guard case .request(let request, _) = result else { return }
        #expect(request.version == "HTTP/1.1")
        #expect(request.body.isEmpty)
        #expect(request.path == "/chat")
        #expect(request.query == nil)
        #expect(request.headers.containsToken("websocket", in: "upgrade"))
        #expect(request.headers.containsToken("upgrade", in: "CONNECTION"))
        #expect(request.headers.containsToken("superchat", in: "sec-websocket-protocol"))
        let key = try #require(request.headers["sec-websocket-key"])
        let accept = Base64.encode(SHA1.hash(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
        #expect(accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("A request without header fields")
    func noHeaders() throws {
        let text = "GET / HTTP/1.1\r\n\r\n"
        let expected = IncomingRequest(method: "GET", target: "/", headers: [:])
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: 18))
    }

    @Test("HTTP/1.0 is accepted")
    func http10() throws {
        let text = "GET /index.html HTTP/1.0\r\nHost: a\r\n\r\n"
        let expected = IncomingRequest(
            method: "GET", target: "/index.html", version: "HTTP/1.0", headers: ["Host": "a"])
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))
    }

    @Test("Bare LF line endings are accepted (RFC 7230 §3.5), also mixed with CRLF")
    func bareLineFeed() throws {
        let expected = IncomingRequest(method: "GET", target: "/", headers: ["Host": "a", "X": "b"])
        for text in [
            "GET / HTTP/1.1\nHost: a\nX: b\n\n",
            "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\n",
            "GET / HTTP/1.1\nHost: a\r\nX: b\n\r\n",
        ] {
            #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))
        }
    }

    @Test("Empty lines before the request line are ignored (RFC 7230 §3.5)")
    func leadingEmptyLines() throws {
        let text = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let expected = IncomingRequest(method: "GET", target: "/", headers: ["Host": "a"])
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))
        // Only empty lines: still waiting for the request line.
        #expect(try HTTPHeadParser.testParse("\r\n\r\n\n") == .needMoreData)
    }

    @Test("Optional whitespace around values is trimmed, inner whitespace kept")
    func valueWhitespace() throws {
        let text =
            "GET / HTTP/1.1\r\nHost:example.com\r\nA:   spaced  \t \r\nB:\tx \t y\t\r\nC:\r\nD:   \r\nE: a:80\r\n\r\n"
        let expected = IncomingRequest(
            method: "GET",
            target: "/",
            headers: ["Host": "example.com", "A": "spaced", "B": "x \t y", "C": "", "D": "", "E": "a:80"]
        )
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))
    }

    @Test("Values may hold obs-text; invalid UTF-8 becomes U+FFFD")
    func obsText() throws {
        let text = "GET / HTTP/1.1\r\nX-Name: caf\u{E9} \u{1F600}\r\n\r\n"
        let expected = IncomingRequest(method: "GET", target: "/", headers: ["X-Name": "caf\u{E9} \u{1F600}"])
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))

        var bytes = Array("GET / HTTP/1.1\r\nX: a".utf8)
        bytes += [0xFF, 0x80]
        bytes += Array("b\r\n\r\n".utf8)
        var parser = HTTPHeadParser(kind: .request)
        let result = try parser.testParse(bytes)
        let invalid = IncomingRequest(method: "GET", target: "/", headers: ["X": "a\u{FFFD}\u{FFFD}b"])
        #expect(result == .request(invalid, consumed: bytes.count))
    }

    @Test("Duplicates are kept in order with their original case, and joined on lookup")
    func duplicates() throws {
        let text =
            "GET / HTTP/1.1\r\nsec-websocket-PROTOCOL: chat\r\nHost: a\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"
        guard case .request(let request, _) = try HTTPHeadParser.testParse(text) else {
            Issue.record("expected a request")
            return
        }
        #expect(request.headers.map(\.name) == ["sec-websocket-PROTOCOL", "Host", "Sec-WebSocket-Protocol"])
        #expect(request.headers["Sec-WebSocket-Protocol"] == "chat, superchat")
        #expect(request.headers.values(for: "SEC-WEBSOCKET-PROTOCOL") == ["chat", "superchat"])
    }

    @Test(
        "Request-target forms and methods",
        arguments: [
            ("OPTIONS * HTTP/1.1", "OPTIONS", "*"),
            ("GET http://example.com/a?b=c HTTP/1.1", "GET", "http://example.com/a?b=c"),
            ("CONNECT example.com:443 HTTP/1.1", "CONNECT", "example.com:443"),
            ("GET /chat?room=1&x=%20 HTTP/1.1", "GET", "/chat?room=1&x=%20"),
            ("GET /caf\u{E9} HTTP/1.1", "GET", "/caf\u{E9}"),
            ("M-SEARCH * HTTP/1.1", "M-SEARCH", "*"),
            ("get / HTTP/1.1", "get", "/"),
            ("X!#$%&'*+-.^_`|~9 / HTTP/1.1", "X!#$%&'*+-.^_`|~9", "/"),
        ])
    func targets(line: String, method: String, target: String) throws {
        let text = line + "\r\n\r\n"
        let expected = IncomingRequest(method: method, target: target, headers: [:])
        #expect(try HTTPHeadParser.testParse(text) == .request(expected, consumed: text.utf8.count))
    }

    @Test(
        "Malformed request lines",
        arguments: [
            ("GET", Reason.requestLineShape),
            ("GET /", Reason.missingVersion),
            (" / HTTP/1.1", Reason.emptyMethod),
            ("G(T / HTTP/1.1", Reason.methodNotToken),
            ("G\u{E9}T / HTTP/1.1", Reason.methodNotToken),
            ("GET  / HTTP/1.1", Reason.emptyTarget),
            ("GET / HTTP/1.1 ", Reason.badVersion),
            ("GET / http/1.1", Reason.badVersion),
            ("GET / HTTP/1", Reason.badVersion),
            ("GET / HTTP/2", Reason.badVersion),
            ("GET / HTTP/1.1.1", Reason.badVersion),
            ("GET / HTTP/11.1", Reason.badVersion),
            ("GET / HTTP/a.b", Reason.badVersion),
            ("GET /a b HTTP/1.1", Reason.badVersion),
            ("GET / FOO/1.1", Reason.badVersion),
            ("GET /", Reason.missingVersion),
        ])
    func malformedRequestLine(line: String, reason: String) {
        let error = HTTPParseError.malformedStartLine(reason: reason)
        #expect(error.suggestedStatus == 400)
        #expect(throws: error) { try HTTPHeadParser.testParse(line + "\r\nHost: a\r\n\r\n") }
    }

    @Test(
        "Unsupported HTTP versions give 505", arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"])
    func unsupportedVersion(version: String) {
        let error = HTTPParseError.unsupportedVersion(version)
        #expect(error.suggestedStatus == 505)
        #expect(throws: error) { try HTTPHeadParser.testParse("GET / \(version)\r\nHost: a\r\n\r\n") }
    }

    @Test("The HTTP/2 connection preface is an unsupported version")
    func http2Preface() {
        #expect(throws: HTTPParseError.unsupportedVersion("HTTP/2.0")) {
            try HTTPHeadParser.testParse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        }
    }

    @Test(
        "Control characters in the request line",
        arguments: [
            ("GET /\u{7F} HTTP/1.1\r\n\r\n", UInt8(0x7F)),
            ("GET /\t HTTP/1.1\r\n\r\n", UInt8(0x09)),
            ("GET\t/ HTTP/1.1\r\n\r\n", UInt8(0x09)),
            ("GET /\u{0} HTTP/1.1\r\n\r\n", UInt8(0x00)),
            ("GET / HTTP/1.1\r\r\n\r\n", UInt8(0x0D)),
            ("GET\r/ HTTP/1.1\r\n\r\n", UInt8(0x0D)),
            ("GET /\u{1B} HTTP/1.1\r\n\r\n", UInt8(0x1B)),
        ])
    func controlInRequestLine(text: String, byte: UInt8) {
        let error = HTTPParseError.invalidCharacter(line: 1, byte: byte)
        #expect(error.suggestedStatus == 400)
        #expect(throws: error) { try HTTPHeadParser.testParse(text) }
    }

    @Test(
        "Malformed header lines",
        arguments: [
            (
                "Host: a\r\nHost example.com\r\n",
                HTTPParseError.malformedHeaderLine(line: 3, reason: Reason.missingColon)
            ),
            ("Host: a\r\n: value\r\n", .malformedHeaderLine(line: 3, reason: Reason.emptyName)),
            (":\r\n", .malformedHeaderLine(line: 2, reason: Reason.emptyName)),
            (" Host: a\r\n", .malformedHeaderLine(line: 2, reason: Reason.leadingWhitespace)),
            ("\tHost: a\r\n", .malformedHeaderLine(line: 2, reason: Reason.leadingWhitespace)),
            ("Host : a\r\n", .whitespaceBeforeColon(line: 2)),
            ("Host\t: a\r\n", .whitespaceBeforeColon(line: 2)),
            ("Host: a\r\nX  :b\r\n", .whitespaceBeforeColon(line: 3)),
            ("Host: a\r\nX-Long: b\r\n c\r\n", .obsoleteLineFolding(line: 4)),
            ("Host: a\r\nX-Long: b\r\n\tc\r\n", .obsoleteLineFolding(line: 4)),
            ("Host: a\r\nX-Long: b\r\n \r\n", .obsoleteLineFolding(line: 4)),
            ("Ho st: a\r\n", .invalidCharacter(line: 2, byte: 0x20)),
            ("Ho\tst: a\r\n", .invalidCharacter(line: 2, byte: 0x09)),
            ("Hos(t): a\r\n", .invalidCharacter(line: 2, byte: UInt8(ascii: "("))),
            ("H\u{F3}st: a\r\n", .invalidCharacter(line: 2, byte: 0xC3)),
            ("X: a\u{0}b\r\n", .invalidCharacter(line: 2, byte: 0x00)),
            ("X: a\rb\r\n", .invalidCharacter(line: 2, byte: 0x0D)),
            ("X: a\rY: b\r\n", .invalidCharacter(line: 2, byte: 0x0D)),
            ("X: a\u{7F}\r\n", .invalidCharacter(line: 2, byte: 0x7F)),
            ("X: \u{1B}[31m\r\n", .invalidCharacter(line: 2, byte: 0x1B)),
            ("X: a\u{8}\r\n", .invalidCharacter(line: 2, byte: 0x08)),
            ("X\u{0}: a\r\n", .invalidCharacter(line: 2, byte: 0x00)),
            ("Host: a\r\n\r\r\n", .invalidCharacter(line: 3, byte: 0x0D)),
        ])
    func malformedHeader(headers: String, error: HTTPParseError) {
        #expect(error.suggestedStatus == 400)
        #expect(throws: error) { try HTTPHeadParser.testParse("GET / HTTP/1.1\r\n" + headers + "\r\n") }
        // The same errors in a response head.
        #expect(throws: error) {
            try HTTPHeadParser.testParse("HTTP/1.1 101 Switching Protocols\r\n" + headers + "\r\n", kind: .response)
        }
    }

    @Test("Line numbers do not count ignored empty lines")
    func lineNumbersAfterLeadingEmptyLines() {
        #expect(throws: HTTPParseError.whitespaceBeforeColon(line: 2)) {
            try HTTPHeadParser.testParse("\r\n\r\nGET / HTTP/1.1\r\nHost : a\r\n\r\n")
        }
    }

    @Test("The request has no body: bytes after the head are left to the caller")
    func bodyLeftToCaller() throws {
        let head = "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\r\n"
        let bytes = Array(head.utf8) + Array("^n:ds[4U".utf8)
        var parser = HTTPHeadParser(kind: .request)
        guard case .request(let request, let consumed) = try parser.testParse(bytes) else {
            Issue.record("expected a request")
            return
        }
        #expect(consumed == head.utf8.count)
        #expect(request.body.isEmpty)
        #expect(Array(bytes[consumed...]) == Array("^n:ds[4U".utf8))
    }
}
