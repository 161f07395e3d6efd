import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// The closing handshake (RFC 6455 §5.5.1, §7; Ruby P-CLOSE-IN, P-CLOSE-API).
@Suite struct CloseTests {
    static func closeFrame(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
        Bytes.masked(0x88, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }

    // MARK: Receiving a close frame

    @Test func closeIsEchoed() {
        let server = DriverHarness.openServer()
        server.parse(Self.closeFrame(1000, Bytes.text("Hello")))
        #expect(server.written == Bytes.hex("88 07 03 e8 48 65 6c 6c 6f"))
        #expect(server.events == [.close(1000, "Hello")])
        #expect(server.driver.readyState == .closed)
    }

    @Test func clientEchoesMasked() throws {
        let client = try DriverHarness.openClient()
        client.parse(Bytes.hex("88 07 03 e8 48 65 6c 6c 6f"))
        let frames = try #require(client.takeFrames())
        #expect(frames.count == 1)
        #expect(frames[0].sameContent(as: .close(1000, "Hello", masked: true)))
        #expect(client.events == [.close(1000, "Hello")])
    }

    @Test func emptyCloseIsEchoedWith1000() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x88, []))
        #expect(server.written == Bytes.hex("88 02 03 e8"))
        #expect(server.events == [.close(1000, "")])
    }

    @Test func acceptedCodesAreKept() {
        let codes: [UInt16] = Array(1000...1003) + Array(1007...1014) + [3000, 3999, 4000, 4999]
        for code in codes {
            let server = DriverHarness.openServer()
            server.parse(Self.closeFrame(code, Bytes.text("why")))
            #expect(server.written == Bytes.unmasked(0x88, [UInt8(code >> 8), UInt8(code & 0xFF)] + Bytes.text("why")))
            #expect(server.events == [.close(code, "why")], "\(code)")
        }
    }

    @Test func otherCodesFailWith1002() {
        for code: UInt16 in [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            let server = DriverHarness.openServer()
            server.parse(Self.closeFrame(code, Bytes.text("why")))
            let message = "Received close frame with an invalid status code: \(code)"
            #expect(server.events == [.error(message), .close(1002, message)], "\(code)")
            #expect(server.written == Bytes.unmasked(0x88, [0x03, 0xEA] + Bytes.text(message)))
            #expect(server.driver.readyState == .closed)
        }
    }

    @Test func oneBytePayloadFails() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x88, [0x03]))
        let message = "Received close frame with a one-byte payload"
        #expect(server.events == [.error(message), .close(1002, message)])
        #expect(server.written == Bytes.unmasked(0x88, [0x03, 0xEA] + Bytes.text(message)))
    }

    @Test func invalidUTF8ReasonFailsWith1007() {
        let server = DriverHarness.openServer()
        server.parse(Self.closeFrame(1000, [0x48, 0xC0, 0xAF]))
        let message = "Could not decode a text frame as UTF-8"
        #expect(server.events == [.error(message), .close(1007, message)])
        #expect(server.written == Bytes.unmasked(0x88, [0x03, 0xEF] + Bytes.text(message)))
        // A truncated sequence at the end is invalid too.
        let truncated = DriverHarness.openServer()
        truncated.parse(Self.closeFrame(1000, [0xE2, 0x82]))
        #expect(truncated.events == [.error(message), .close(1007, message)])
    }

    @Test func multibyteReasonIsKept() {
        let server = DriverHarness.openServer()
        server.parse(Self.closeFrame(4000, Bytes.text("au revoir \u{F8FF} 😀")))
        #expect(server.events == [.close(4000, "au revoir \u{F8FF} 😀")])
    }

    @Test func longestReason() {
        let reason = String(repeating: "r", count: 123)
        let server = DriverHarness.openServer()
        server.parse(Self.closeFrame(1000, Bytes.text(reason)))
        #expect(server.events == [.close(1000, reason)])
        #expect(server.written.count == 2 + 125)
    }

    @Test func inputAfterCloseIsIgnored() {
        let server = DriverHarness.openServer()
        server.parse(Self.closeFrame(1000) + Bytes.masked(0x81, Bytes.text("late")) + Self.closeFrame(1001))
        #expect(server.events == [.close(1000, "")])
        #expect(server.written == Bytes.hex("88 02 03 e8"))
        server.parse(Self.closeFrame(1001))
        server.parse(Bytes.masked(0x89, []))
        #expect(server.events == [.close(1000, "")])
        #expect(server.written == Bytes.hex("88 02 03 e8"))
    }

    // MARK: close()

    @Test func closeWhenOpen() {
        let server = DriverHarness.openServer()
        #expect(server.driver.close(code: .unsupportedData, reason: "<%= reasons %>"))
        #expect(server.written == Bytes.hex("88 10 03 eb 3c 25 3d 20 72 65 61 73 6f 6e 73 20 25 3e"))
        // No event until the peer answers.
        #expect(server.events.isEmpty)
        #expect(server.driver.readyState == .closing)
    }

    @Test func closingState() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        #expect(server.driver.text("Hi") == false)
        #expect(server.driver.ping() == false)
        #expect(server.driver.pong() == false)
        #expect(server.driver.close() == false)
        #expect(server.written.isEmpty)
        #expect(server.driver.readyState == .closing)
    }

    @Test func peerAnswersOurClose() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        server.parse(Bytes.masked(0x88, Bytes.hex("03 e9") + Bytes.text("OK")))
        #expect(server.events == [.close(1001, "OK")])
        #expect(server.driver.readyState == .closed)
        // No echo while closing, and a second close frame does nothing.
        #expect(server.written.isEmpty)
        server.parse(Bytes.masked(0x88, Bytes.hex("03 e9") + Bytes.text("OK")))
        #expect(server.written.isEmpty)
        #expect(server.events == [.close(1001, "OK")])
    }

    @Test func emptyCloseWhileClosing() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        server.parse(Bytes.masked(0x88, []))
        #expect(server.events == [.close(1000, "")])
        #expect(server.driver.readyState == .closed)
        #expect(server.written.isEmpty)
    }

    @Test func oneBytePayloadWhileClosingFailsWithoutWriting() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        server.parse(Bytes.masked(0x88, [0x03]))
        let message = "Received close frame with a one-byte payload"
        #expect(server.events == [.error(message), .close(1002, message)])
        #expect(server.driver.readyState == .closed)
        #expect(server.written.isEmpty)
    }

    @Test func pingWhileClosingIsReportedButNotAnswered() {
        let server = DriverHarness.openServer()
        server.driver.close()
        _ = server.takeWritten()
        server.parse(Bytes.masked(0x89, Bytes.text("OHAI")))
        #expect(server.events == [.ping(Bytes.text("OHAI"))])
        #expect(server.written.isEmpty)
    }

    @Test func closedState() {
        let server = DriverHarness.openServer()
        server.driver.close()
        server.parse(Bytes.masked(0x88, Bytes.hex("03 ea")))
        _ = server.takeWritten()
        #expect(server.events == [.close(1002, "")])
        #expect(server.driver.text("Hi") == false)
        #expect(server.driver.binary([1]) == false)
        #expect(server.driver.ping() == false)
        #expect(server.driver.pong() == false)
        #expect(server.driver.close() == false)
        #expect(server.written.isEmpty)
        #expect(server.driver.readyState == .closed)
    }

    @Test func codesThatMayNotBeSentAreRefused() {
        let server = DriverHarness.openServer()
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            #expect(server.driver.close(code: CloseCode(code)) == false, "\(code)")
        }
        #expect(server.written.isEmpty)
        #expect(server.driver.readyState == .open)
        #expect(server.events.isEmpty)
    }

    @Test func codesThatMayBeSent() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1013, 1014, 3000, 4999] {
            let server = DriverHarness.openServer()
            #expect(server.driver.close(code: CloseCode(code)), "\(code)")
            #expect(server.written == [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)])
        }
    }

    @Test func isValidOnWire() {
        #expect(CloseCode.normalClosure.isValidOnWire)
        #expect(CloseCode.badGateway.isValidOnWire)
        #expect(!CloseCode.noStatusReceived.isValidOnWire)
        #expect(!CloseCode.abnormalClosure.isValidOnWire)
        #expect(!CloseCode.tlsHandshakeFailure.isValidOnWire)
        #expect(CloseCode(4000).description == "4000")
        #expect(CloseEvent(code: .goingAway, reason: "bye").description == "1001 bye")
        #expect(CloseEvent(code: .goingAway).description == "1001")
    }

    @Test func reasonIsTruncatedAtACharacterBoundary() throws {
        func sentReason(_ reason: String) throws -> [UInt8] {
            let server = DriverHarness.openServer()
            server.driver.close(code: .normalClosure, reason: reason)
            let frames = try #require(server.takeFrames())
            return Array(frames[0].payload.dropFirst(2))
        }
        #expect(try sentReason(String(repeating: "x", count: 200)) == Bytes.text(String(repeating: "x", count: 123)))
        #expect(try sentReason(String(repeating: "x", count: 123)).count == 123)
        // é is two bytes: 61 fit in 122 bytes, the 62nd would split.
        #expect(try sentReason(String(repeating: "é", count: 100)) == Bytes.text(String(repeating: "é", count: 61)))
        #expect(
            try sentReason("a" + String(repeating: "é", count: 100))
                == Bytes.text("a" + String(repeating: "é", count: 61)))
        // Four-byte characters.
        #expect(try sentReason(String(repeating: "😀", count: 40)) == Bytes.text(String(repeating: "😀", count: 30)))
        #expect(
            try sentReason("abc" + String(repeating: "😀", count: 40))
                == Bytes.text("abc" + String(repeating: "😀", count: 30)))
        // Three-byte characters.
        #expect(
            try sentReason(String(repeating: "\u{F8FF}", count: 50))
                == Bytes.text(String(repeating: "\u{F8FF}", count: 41)))
    }

    @Test func truncatedReasonBeforeOpenIsReported() {
        let server = DriverHarness { Driver.server(output: $0) }
        server.driver.close(code: .goingAway, reason: String(repeating: "é", count: 100))
        #expect(server.events == [.close(1001, String(repeating: "é", count: 61))])
    }

    // MARK: Before open

    @Test func serverDriverClosedBeforeItsRequest() {
        let server = DriverHarness { Driver.server(output: $0) }
        server.driver.text("dropped")
        #expect(server.driver.close())
        #expect(server.events == [.close(1000, "")])
        #expect(server.driver.readyState == .closed)
        #expect(server.driver.close() == false)
        #expect(server.driver.start() == false)
        #expect(server.driver.text("x") == false)
        #expect(server.driver.ping() == false)
        #expect(server.driver.pong() == false)
        #expect(server.driver.sendFrame(Frame(opcode: .text)) == false)
        server.parse(upgradeRequest() + "\u{0}")
        #expect(server.events == [.close(1000, "")])
        #expect(server.written.isEmpty)
        server.driver.transportClosed()
        #expect(server.events == [.close(1000, "")])
    }

    @Test func serverDriverClosedAfterItsRequestBeforeStart() {
        let server = DriverHarness { Driver.server(output: $0) }
        server.parse(upgradeRequest())
        #expect(server.events == [.connect("/chat")])
        server.driver.text("dropped")
        #expect(server.driver.close(code: .tryAgainLater, reason: "busy"))
        #expect(server.events == [.connect("/chat"), .close(1013, "busy")])
        #expect(server.driver.start() == false)
        #expect(server.written.isEmpty)
    }

    @Test func clientClosedWhileWaitingForItsResponse() throws {
        let client = try ClientHandshakeTests.harness()
        client.driver.start()
        let response = client.handshakeResponse()
        _ = client.takeWritten()
        client.driver.text("dropped")
        #expect(client.driver.close())
        #expect(client.events == [.close(1000, "")])
        #expect(client.driver.readyState == .closed)
        client.parse(response)
        #expect(client.events == [.close(1000, "")])
        #expect(client.written.isEmpty)
    }

    // MARK: Transport closed

    @Test func transportClosedWhenOpen() {
        let server = DriverHarness.openServer()
        server.driver.transportClosed()
        #expect(server.events == [.close(1006, "")])
        #expect(server.driver.readyState == .closed)
        server.driver.transportClosed()
        #expect(server.events == [.close(1006, "")])
        #expect(server.written.isEmpty)
        #expect(server.driver.text("x") == false)
        server.parse(Bytes.masked(0x81, Bytes.text("late")))
        #expect(server.events == [.close(1006, "")])
    }

    @Test func transportClosedWhileClosing() throws {
        let client = try DriverHarness.openClient()
        client.driver.close()
        client.driver.transportClosed()
        client.driver.transportClosed()
        #expect(client.events == [.close(1006, "")])
    }

    @Test func transportClosedAfterTheHandshakeDoesNothing() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x88, []))
        server.driver.transportClosed()
        #expect(server.events == [.close(1000, "")])
    }

    @Test func transportClosedBeforeOpen() throws {
        let waiting = DriverHarness { Driver.server(output: $0) }
        waiting.parse("GET / HTTP/1.1\r\n")
        waiting.driver.transportClosed()
        waiting.driver.transportClosed()
        #expect(waiting.events == [.close(1006, "")])
        #expect(waiting.driver.readyState == .closed)
        let parsed = ServerHandshakeTests.harness(ServerHandshakeTests.request())
        parsed.driver.transportClosed()
        parsed.driver.transportClosed()
        #expect(parsed.events == [.close(1006, "")])
        #expect(parsed.driver.start() == false)
        let client = try ClientHandshakeTests.harness()
        client.driver.start()
        client.driver.transportClosed()
        client.driver.transportClosed()
        #expect(client.events == [.close(1006, "")])
        let unstarted = try ClientHandshakeTests.harness()
        unstarted.driver.transportClosed()
        #expect(unstarted.events == [.close(1006, "")])
        #expect(unstarted.driver.start() == false)
    }

    @Test func transportClosedAfterAFailure() {
        let server = DriverHarness.openServer()
        server.parse(Bytes.masked(0x83, []))
        server.driver.transportClosed()
        #expect(server.events.count == 2)
    }

    // MARK: Both sides

    @Test func serverInitiatedClosingHandshake() throws {
        let link = try Loopback()
        link.open()
        _ = link.client.takeEvents()
        _ = link.server.takeEvents()
        link.server.driver.close(code: .goingAway, reason: "restart")
        link.pump()
        #expect(link.client.events == [.close(1001, "restart")])
        #expect(link.server.events == [.close(1001, "restart")])
        #expect(link.client.driver.readyState == .closed)
        #expect(link.server.driver.readyState == .closed)
    }

    @Test func simultaneousClose() throws {
        let link = try Loopback()
        link.open()
        _ = link.client.takeEvents()
        _ = link.server.takeEvents()
        link.client.driver.close(code: CloseCode(4001), reason: "client")
        link.server.driver.close(code: CloseCode(4002), reason: "server")
        link.pump()
        // Each side reports the code it received.
        #expect(link.client.events == [.close(4002, "server")])
        #expect(link.server.events == [.close(4001, "client")])
    }
}
