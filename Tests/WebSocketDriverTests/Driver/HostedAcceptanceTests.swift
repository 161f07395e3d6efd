import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// `Driver.decide` and `Driver.accepted`: the handshake of a host that writes the response
/// itself, with the same rules as the driver that writes it.
@Suite struct HostedAcceptanceTests {
    typealias Handshake = ServerHandshakeTests

    @Test func acceptanceCarriesTheResponseHeadersAndWritesNothing() throws {
        var options = DriverOptions()
        options.protocols = ["chat", "superchat"]
        options.headers = ["X-Served-By": "host"]
        let request = Handshake.request(adding: [("Sec-WebSocket-Protocol", "superchat, chat")])
        guard case .accept(let accepted) = Driver.decide(request, options: options) else {
            Issue.record("refused")
            return
        }
        #expect(accepted.status == 101)
        #expect(accepted.selectedProtocol == "superchat")
        #expect(accepted.extensions.isEmpty)
        #expect(
            accepted.headers.map { "\($0.name): \($0.value)" } == [
                "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: \(Handshake.rubyAccept)",
                "Sec-WebSocket-Protocol: superchat", "X-Served-By: host",
            ])
        #expect(accepted.request == request)
    }

    @Test func theAcceptedDriverOpensOnStartWithoutWritingAHead() throws {
        guard case .accept(let accepted) = Driver.decide(Handshake.request()) else {
            Issue.record("refused")
            return
        }
        let harness = DriverHarness { Driver.accepted(accepted, output: $0) }
        // Sent before the host's 101 is out: held until start.
        #expect(harness.driver.text("early"))
        harness.driver.parse(Bytes.masked(0x81, Array("hi".utf8)))
        #expect(harness.written.isEmpty)
        #expect(harness.events.isEmpty)
        #expect(harness.driver.start())
        #expect(harness.driver.readyState == .open)
        #expect(harness.driver.version == "hybi-13")
        #expect(harness.events == [.open, .message(.text("hi"))])
        #expect(harness.written == [0x81, 0x05] + Array("early".utf8))
        #expect(!harness.driver.start())
    }

    /// Every refusal the raw driver writes is the decision a host gets: same status, reason and
    /// version header.
    @Test(arguments: [
        Handshake.request(method: "POST"),
        Handshake.request(version: "HTTP/1.0"),
        Handshake.request(removing: ["Upgrade"]),
        Handshake.request(removing: ["Connection"]),
        Handshake.request(removing: ["Host"]),
        Handshake.request(removing: ["Sec-WebSocket-Key"]),
        Handshake.request(removing: ["Sec-WebSocket-Version"]),
        Handshake.request(adding: [("Sec-WebSocket-Version", "8")], removing: ["Sec-WebSocket-Version"]),
        Handshake.request(adding: [("Sec-WebSocket-Key", "short")], removing: ["Sec-WebSocket-Key"]),
    ])
    func refusalsMatchTheRawPath(request: IncomingRequest) throws {
        guard case .refuse(let refusal) = Driver.decide(request) else {
            Issue.record("accepted \(request)")
            return
        }
        let raw = Handshake.harness(request)
        #expect(!raw.driver.start())
        let expected = Handshake.refusal(
            "\(refusal.status) \(HTTPResponseText.reasonPhrase(refusal.status))", refusal.reason,
            versionHeader: refusal.status == 426)
        #expect(raw.writtenText == expected)
        #expect(refusal.body == Array(refusal.reason.utf8))
        #expect(refusal.headers.first("Sec-WebSocket-Version") == (refusal.status == 426 ? "13" : nil))
        #expect([400, 426].contains(refusal.status))
    }

    @Test func aWrongVersionIs426AndAMissingKey400() {
        let version = Driver.decide(
            Handshake.request(adding: [("Sec-WebSocket-Version", "8")], removing: ["Sec-WebSocket-Version"]))
        guard case .refuse(let wrongVersion) = version else {
            Issue.record("accepted")
            return
        }
        #expect(wrongVersion.status == 426)
        #expect(wrongVersion.error == .unsupportedVersion("8"))
        guard case .refuse(let missingKey) = Driver.decide(Handshake.request(removing: ["Sec-WebSocket-Key"])) else {
            Issue.record("accepted")
            return
        }
        #expect(missingKey.status == 400)
        #expect(missingKey.description == "400 \(missingKey.reason)")
    }

    @Test func aDraftRequestIsRefusedWith426() {
        let draft76 = IncomingRequest(
            method: "GET", target: "/",
            headers: [
                "Host": "example.com", "Connection": "Upgrade", "Upgrade": "WebSocket",
                "Sec-WebSocket-Key1": "4 @1  46546xW%0l 1 5", "Sec-WebSocket-Key2": "12998 5 Y3 1  .P00",
            ])
        guard case .refuse(let refusal) = Driver.decide(draft76) else {
            Issue.record("accepted")
            return
        }
        #expect(refusal.status == 426)
        #expect(refusal.headers.first("Sec-WebSocket-Version") == "13")
    }

    @Test func aMalformedExtensionOfferIsRefusedWith400() {
        let request = Handshake.request(adding: [("Sec-WebSocket-Extensions", "x-webkit- -frame")])
        guard case .refuse(let refusal) = Driver.decide(request) else {
            Issue.record("accepted")
            return
        }
        #expect(refusal.status == 400)
        #expect(refusal.reason.hasPrefix("Invalid Sec-WebSocket-Extensions header"))
    }

    @Test func negotiatedExtensionsAreInTheResponseAndTheDriver() throws {
        var options = DriverOptions()
        try options.extensions.add(TestExtension())
        let request = Handshake.request(adding: [("Sec-WebSocket-Extensions", "x-test")])
        guard case .accept(let accepted) = Driver.decide(request, options: options) else {
            Issue.record("refused")
            return
        }
        #expect(accepted.headers.first("Sec-WebSocket-Extensions") == "x-test")
        #expect(accepted.extensions == ["x-test"])
        let harness = DriverHarness { Driver.accepted(accepted, output: $0) }
        #expect(harness.driver.start())
        #expect(harness.driver.extensions == ["x-test"])
    }
}
