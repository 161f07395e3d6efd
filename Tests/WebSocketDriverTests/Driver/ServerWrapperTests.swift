import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// `Driver.server`, which parses the HTTP request itself (Ruby P-SRV-TCP and the B-TCP-* fixes).
@Suite struct ServerWrapperTests {
    static func harness(options: DriverOptions = DriverOptions()) -> DriverHarness {
        DriverHarness { Driver.server(options: options, output: $0) }
    }

    @Test func nothingIsKnownBeforeTheRequest() {
        let harness = Self.harness()
        harness.parse("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n")
        #expect(harness.driver.request == nil)
        #expect(harness.driver.url == nil)
        #expect(harness.driver.version == nil)
        #expect(harness.driver.protocol == nil)
        #expect(harness.driver.extensions == [])
        #expect(harness.driver.readyState == .connecting)
        #expect(harness.events.isEmpty)
        #expect(harness.written.isEmpty)
    }

    @Test func connectOnceWithTheRequestSplitByteByByte() throws {
        let harness = Self.harness()
        var options = DriverOptions()
        options.protocols = ["chat"]
        let withProtocols = Self.harness(options: options)
        for byte in Bytes.text(upgradeRequest(target: "/chat?x=1", extraHeaders: ["Sec-WebSocket-Protocol: chat"])) {
            harness.parse([byte])
            withProtocols.parse([byte])
        }
        #expect(harness.events == [.connect("/chat?x=1")])
        let request = try #require(harness.driver.request)
        #expect(request.method == "GET")
        #expect(request.path == "/chat")
        #expect(request.query == "x=1")
        #expect(request.headers["Sec-WebSocket-Key"] == sampleKey)
        #expect(harness.driver.url == "ws://server.example.com/chat?x=1")
        #expect(harness.driver.version == "hybi-13")
        #expect(harness.driver.readyState == .connecting)
        #expect(withProtocols.driver.protocol == "chat")
        #expect(harness.written.isEmpty)
    }

    @Test func stateIsAvailableInOnConnect() {
        let harness = Self.harness()
        var seen: [String] = []
        harness.driver.onConnect = { [unowned harness] request in
            seen.append(harness.driver.url ?? "nil")
            seen.append(harness.driver.version ?? "nil")
            seen.append(Driver.isWebSocketRequest(request) ? "websocket" : "plain")
        }
        harness.parse(upgradeRequest().replacingOccurrences("Host: server.example.com", "Host: example.com:8080"))
        #expect(seen == ["ws://example.com:8080/chat", "hybi-13", "websocket"])
    }

    @Test func startInOnConnectOpens() {
        let harness = Self.harness()
        var order: [String] = []
        harness.driver.onConnect = { [unowned harness] _ in
            order.append("connect")
            harness.driver.start()
        }
        harness.driver.onOpen = { order.append("open") }
        harness.parse(upgradeRequest())
        #expect(order == ["connect", "open"])
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(harness.driver.readyState == .open)
    }

    @Test func startBeforeTheRequestOpensWithAnEvent() {
        let harness = Self.harness()
        #expect(harness.driver.start())
        #expect(harness.written.isEmpty)
        harness.parse(upgradeRequest())
        #expect(harness.events == [.connect("/chat"), .open])
        #expect(harness.driver.readyState == .open)
        #expect(harness.writtenText.contains("Sec-WebSocket-Accept: \(sampleAccept)\r\n"))
    }

    @Test func plainHTTPRequestAnsweredByTheApplication() {
        let harness = Self.harness()
        harness.driver.onConnect = { [unowned harness] request in
            if !Driver.isWebSocketRequest(request) {
                harness.written += Bytes.text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
            }
        }
        harness.parse("GET /page HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(harness.writtenText == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        #expect(harness.driver.readyState == .connecting)
    }

    @Test func framesPipelinedWithTheRequestAreKept() {
        let harness = Self.harness()
        harness.driver.onConnect = { [unowned harness] _ in harness.driver.start() }
        harness.parse(Bytes.text(upgradeRequest()) + Bytes.masked(0x81, Bytes.text("first")) + Bytes.masked(0x89, [1]))
        #expect(harness.events == [.open, .message(.text("first")), .ping([1])])
        #expect(harness.written.suffix(3) == [0x8A, 0x01, 0x01])
    }

    @Test func framesBeforeStartAreHeldUntilOpen() {
        let harness = Self.harness()
        harness.parse(Bytes.text(upgradeRequest()) + Bytes.masked(0x81, Bytes.text("first")))
        harness.parse(Bytes.masked(0x81, Bytes.text("second")))
        #expect(harness.events == [.connect("/chat")])
        harness.driver.start()
        #expect(harness.events == [.connect("/chat"), .open, .message(.text("first")), .message(.text("second"))])
    }

    @Test func pongIsForwarded() {
        let harness = Self.harness()
        #expect(harness.driver.pong(Bytes.text("early")))
        harness.driver.start()
        harness.parse(upgradeRequest())
        #expect(harness.written.suffix(7) == Bytes.hex("8a 05 65 61 72 6c 79")[...])
        #expect(harness.driver.pong([1]))
        #expect(harness.written.suffix(3) == [0x8A, 0x01, 0x01])
    }

    @Test func readyStateFollowsTheConnection() {
        let harness = Self.harness()
        #expect(harness.driver.readyState == .connecting)
        harness.parse(upgradeRequest())
        #expect(harness.driver.readyState == .connecting)
        harness.driver.start()
        #expect(harness.driver.readyState == .open)
        harness.driver.close()
        #expect(harness.driver.readyState == .closing)
        harness.parse(Bytes.masked(0x88, []))
        #expect(harness.driver.readyState == .closed)
    }

    // MARK: Invalid requests

    static func expectRefused(
        _ input: String,
        status: String,
        detail: String,
        options: DriverOptions = DriverOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let harness = harness(options: options)
        harness.driver.start()
        harness.parse(input)
        let message = "Invalid HTTP request: " + detail
        #expect(harness.writtenText == ServerHandshakeTests.refusal(status, message), sourceLocation: sourceLocation)
        #expect(harness.events == [.error(message), .close(1002, message)], sourceLocation: sourceLocation)
        #expect(harness.driver.readyState == .closed, sourceLocation: sourceLocation)
        // Once: later input, start and sends do nothing.
        harness.parse(upgradeRequest())
        harness.parse("more")
        #expect(harness.driver.start() == false, sourceLocation: sourceLocation)
        #expect(harness.driver.text("x") == false, sourceLocation: sourceLocation)
        #expect(harness.driver.close() == false, sourceLocation: sourceLocation)
        harness.driver.transportClosed()
        #expect(harness.events.count == 2, sourceLocation: sourceLocation)
        #expect(harness.writes.count == 1, sourceLocation: sourceLocation)
        #expect(harness.driver.request == nil, sourceLocation: sourceLocation)
    }

    @Test func malformedRequestIs400() {
        Self.expectRefused(
            "GET / HTTP/1.1\r\nBad Header\r\n\r\n", status: "400 Bad Request",
            detail: "Malformed HTTP header field on line 2: there is no colon after the field name")
        Self.expectRefused(
            "GET /\r\n", status: "400 Bad Request",
            detail: "Malformed HTTP start line: the HTTP version is missing")
    }

    @Test func unsupportedVersionIs505() {
        Self.expectRefused(
            "GET / HTTP/2.0\r\n", status: "505 HTTP Version Not Supported",
            detail: "Unsupported HTTP version HTTP/2.0: only HTTP/1.0 and HTTP/1.1 are supported")
    }

    @Test func oversizedHeadIs431() {
        var options = DriverOptions()
        options.httpLimits = HTTPHeadLimits(maxHeadLength: 64, maxHeaderCount: 2)
        Self.expectRefused(
            "GET / HTTP/1.1\r\nX-Long: " + String(repeating: "a", count: 100),
            status: "431 Request Header Fields Too Large",
            detail: "HTTP head too large: it exceeds the limit of 64 bytes", options: options)
        Self.expectRefused(
            "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n", status: "431 Request Header Fields Too Large",
            detail: "Too many HTTP header fields: the limit is 2", options: options)
    }

    @Test func oddHostDoesNotCrash() {
        let harness = Self.harness()
        harness.driver.start()
        harness.parse(upgradeRequest().replacingOccurrences("Host: server.example.com", "Host: a b"))
        #expect(harness.driver.url == "ws://a b/chat")
        #expect(harness.events == [.connect("/chat"), .open])
    }

    // MARK: Drafts through the wrapper

    @Test func draft76KeyInTheSameRead() {
        let harness = Self.harness()
        harness.driver.start()
        let request =
            "GET /socket HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key1: \(LegacyDraft.key1)\r\nSec-WebSocket-Key2: \(LegacyDraft.key2)\r\n\r\n"
        harness.parse(Bytes.text(request) + LegacyDraft.key3 + [0x00, 0x41, 0xFF])
        #expect(harness.driver.version == "hixie-76")
        #expect(harness.writes.last == LegacyDraft.signature)
        #expect(harness.events == [.connect("/socket"), .open, .message(.text("A"))])
    }

    @Test func draft76KeyInALaterRead() {
        let harness = Self.harness()
        harness.driver.start()
        harness.parse(
            "GET /socket HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key1: \(LegacyDraft.key1)\r\nSec-WebSocket-Key2: \(LegacyDraft.key2)\r\n\r\n")
        #expect(harness.events == [.connect("/socket")])
        #expect(harness.driver.readyState == .connecting)
        harness.parse(LegacyDraft.key3)
        #expect(harness.writes.last == LegacyDraft.signature)
        #expect(harness.events == [.connect("/socket"), .open])
    }

    @Test func draft75ThroughTheWrapper() {
        let harness = Self.harness()
        harness.driver.text("queued")
        harness.driver.start()
        harness.parse(
            Bytes.text(
                "GET /socket HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n")
                + [0x00, 0x41, 0xFF])
        #expect(harness.driver.version == "hixie-75")
        #expect(harness.events == [.connect("/socket"), .open, .message(.text("A"))])
        #expect(harness.written.suffix(8) == [0x00] + Bytes.text("queued") + [0xFF])
    }
}
