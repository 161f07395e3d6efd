import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// WebSockets over HTTP/2 (RFC 8441): the server's decision on an extended CONNECT and the
/// client driver whose handshake its host sends as HEADERS.
@Suite struct ExtendedConnectTests {
    /// An extended CONNECT as an HTTP/2 host builds it: `:authority` as `Host`.
    static func request(
        connectProtocol: String? = "websocket",
        method: String = "CONNECT",
        target: String = "/chat",
        fields: [(String, String)] = [("Host", "example.com"), ("sec-websocket-version", "13")]
    ) -> IncomingRequest {
        IncomingRequest(
            method: method, target: target, version: "HTTP/2", headers: HeaderFields(fields),
            extendedConnectProtocol: connectProtocol)
    }

    @Test func anExtendedConnectIsAWebSocketRequest() {
        #expect(Driver.isWebSocketRequest(Self.request()))
        #expect(Driver.isWebSocketRequest(Self.request(connectProtocol: "WebSocket")))
        #expect(!Driver.isWebSocketRequest(Self.request(connectProtocol: "webtransport")))
        #expect(!Driver.isWebSocketRequest(Self.request(connectProtocol: nil)))
        #expect(!Driver.isWebSocketRequest(Self.request(method: "GET")))
    }

    @Test func acceptanceIsA200WithoutUpgradeOrAccept() throws {
        var options = DriverOptions()
        options.protocols = ["chat.v2"]
        options.headers = ["X-Served-By": "h2"]
        try options.extensions.add(TestExtension())
        let request = Self.request(fields: [
            ("Host", "example.com"), ("sec-websocket-version", "13"), ("sec-websocket-protocol", "chat.v1, chat.v2"),
            ("sec-websocket-extensions", "x-test"),
        ])
        guard case .accept(let accepted) = Driver.decide(request, options: options) else {
            Issue.record("refused")
            return
        }
        #expect(accepted.status == 200)
        #expect(accepted.selectedProtocol == "chat.v2")
        #expect(accepted.extensions == ["x-test"])
        #expect(
            accepted.headers.map { "\($0.name): \($0.value)" } == [
                "Sec-WebSocket-Protocol: chat.v2", "Sec-WebSocket-Extensions: x-test", "X-Served-By: h2",
            ])
        // The host's driver frames as over HTTP/1.1.
        let harness = DriverHarness { Driver.accepted(accepted, output: $0) }
        #expect(harness.driver.start())
        harness.driver.parse(Bytes.masked(0x81, Array("hi".utf8)))
        #expect(harness.events == [.open, .message(.text("hi"))])
    }

    @Test(arguments: [
        (request(connectProtocol: "webtransport"), 400, "not websocket"),
        (request(target: ""), 400, ":path"),
        (request(fields: [("sec-websocket-version", "13")]), 400, ":authority"),
        (request(fields: [("Host", "example.com")]), 426, "version"),
        (request(fields: [("Host", "example.com"), ("sec-websocket-version", "8")]), 426, "version"),
    ])
    func refusals(request: IncomingRequest, status: Int, reasonFragment: String) {
        guard case .refuse(let refusal) = Driver.decide(request) else {
            Issue.record("accepted \(request)")
            return
        }
        #expect(refusal.status == status)
        #expect(refusal.reason.lowercased().contains(reasonFragment.lowercased()), "\(refusal.reason)")
        if status == 426 { #expect(refusal.headers["Sec-WebSocket-Version"] == "13") }
    }

    @Test func theClientAsksItsHostToSendTheConnectAndOpensOnA200() throws {
        var options = DriverOptions()
        options.protocols = ["chat.v1", "chat.v2"]
        options.headers = ["Origin": "https://example.com"]
        let harness = try DriverHarness {
            try Driver.extendedConnectClient(
                url: "wss://user:pw@example.com:8443/chat?x=1", options: options, output: $0)
        }
        #expect(harness.driver.extendedConnectRequest == nil)
        #expect(harness.driver.text("queued before the open"))
        #expect(harness.driver.start())
        // No bytes: the request is the host's HEADERS.
        #expect(harness.written.isEmpty)
        let request = try #require(harness.driver.extendedConnectRequest)
        #expect(request.method == "CONNECT")
        #expect(request.extendedConnectProtocol == "websocket")
        #expect(request.target == "/chat?x=1")
        #expect(
            request.headers.map { "\($0.name): \($0.value)" } == [
                "Host: example.com:8443", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: chat.v1, chat.v2",
                "Authorization: Basic dXNlcjpwdw==", "Origin: https://example.com",
            ])
        // Bytes before the response are not a response.
        harness.driver.parse(Array("HTTP/1.1 101 Switching Protocols\r\n\r\n".utf8))
        #expect(harness.driver.readyState == .connecting)
        harness.driver.receiveExtendedConnectResponse(
            HandshakeResponse(
                version: "HTTP/2", status: 200, reason: "", headers: ["sec-websocket-protocol": "chat.v2"]))
        #expect(harness.driver.readyState == .open)
        #expect(harness.driver.protocol == "chat.v2")
        #expect(harness.events == [.open])
        // The queued message goes out masked once open.
        #expect(harness.written.count == 2 + 4 + "queued before the open".utf8.count)
        #expect(harness.written.first == 0x81)
    }

    @Test(arguments: [
        (HandshakeResponse(version: "HTTP/2", status: 403, reason: "", headers: [:]), "403"),
        (
            HandshakeResponse(version: "HTTP/2", status: 200, reason: "", headers: ["sec-websocket-protocol": "other"]),
            "mismatch"
        ),
        (
            HandshakeResponse(
                version: "HTTP/2", status: 200, reason: "", headers: ["sec-websocket-extensions": "x-unknown"]),
            "x-unknown"
        ),
    ])
    func theClientFailsOnABadResponse(response: HandshakeResponse, fragment: String) throws {
        var options = DriverOptions()
        options.protocols = ["chat.v1"]
        let harness = try DriverHarness {
            try Driver.extendedConnectClient(url: "wss://example.com/", options: options, output: $0)
        }
        #expect(harness.driver.start())
        harness.driver.receiveExtendedConnectResponse(response)
        #expect(harness.driver.readyState == .closed)
        guard case .error(let message) = harness.events.first else {
            Issue.record("no error: \(harness.events)")
            return
        }
        #expect(message.contains(fragment), "\(message)")
    }

    @Test func aClientThatFallsBackSendsTheHTTP1Upgrade() throws {
        let harness = try DriverHarness { try Driver.extendedConnectClient(url: "wss://example.com/", output: $0) }
        harness.driver.fallBackToHTTP1Handshake()
        #expect(harness.driver.start())
        #expect(harness.driver.extendedConnectRequest == nil)
        #expect(harness.writtenText.hasPrefix("GET / HTTP/1.1\r\n"))
    }
}
