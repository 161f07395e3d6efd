import Testing

@testable import WebSocketDriver

/// What only the opening handshake needs (the driver's options, the hybi server engine's copy
/// of the request and its decision) is dropped once the handshake is sent, so that an open
/// connection does not carry it; headers and extensions can still be changed until then.
@Suite struct HandshakeReleaseTests {
    static let request = IncomingRequest(
        method: "GET", target: "/chat",
        headers: [
            "Host": "example.com", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
        ])

    @Test func serverForRequestReleasesOnStart() throws {
        let harness = DriverHarness { Driver.forRequest(Self.request, output: $0) }
        #expect(harness.driver.holdsHandshakeState)
        try harness.driver.setHeader("X-Before", "kept")
        harness.driver.start()
        #expect(harness.driver.readyState == .open)
        #expect(harness.writtenText.contains("X-Before: kept\r\n"))
        #expect(!harness.driver.holdsHandshakeState)
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.setHeader("X-After", "no") }
    }

    @Test func parsingServerReleasesOnceOpen() {
        let harness = DriverHarness.openServer()
        #expect(!harness.driver.holdsHandshakeState)
    }

    @Test func parsingServerHoldsUntilTheRequestIsComplete() {
        let harness = DriverHarness { Driver.server(output: $0) }
        harness.driver.start()
        #expect(harness.driver.holdsHandshakeState)
    }

    @Test func refusedServerReleases() {
        var request = Self.request
        request.headers = ["Host": "example.com", "Upgrade": "websocket", "Connection": "Upgrade"]
        request.headers.append(name: "Sec-WebSocket-Version", value: "13")
        let harness = DriverHarness { Driver.forRequest(request, output: $0) }
        harness.driver.start()
        #expect(harness.driver.readyState == .closed)
        #expect(!harness.driver.holdsHandshakeState)
    }

    @Test func clientReleasesOnceItsRequestIsSent() throws {
        let harness = try DriverHarness { try Driver.client(url: "ws://example.com/", output: $0) }
        #expect(harness.driver.holdsHandshakeState)
        harness.driver.start()
        #expect(!harness.driver.holdsHandshakeState)
        #expect(harness.writtenText.hasPrefix("GET / HTTP/1.1\r\n"))
    }
}
