import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// The hybi-13 server handshake (RFC 6455 §4.2; Ruby `hybi_spec.rb` "in the :connecting state").
@Suite struct ServerHandshakeTests {
    static let rubyKey = "JFBCWHksyIpXV+6Wlq/9pw=="
    static let rubyAccept = "JdiiuafpBKRqD7eol0y4vJDTsTs="
    static let response101 =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: \(rubyAccept)\r\n\r\n"

    /// The Ruby spec's request, with headers added or removed.
    static func request(
        method: String = "GET",
        version: String = "HTTP/1.1",
        adding extra: [(String, String)] = [],
        removing: [String] = []
    ) -> IncomingRequest {
        var headers = HeaderFields([
            ("Host", "www.example.com"), ("Connection", "Upgrade"), ("Upgrade", "websocket"),
            ("Origin", "http://www.example.com"), ("Sec-WebSocket-Key", rubyKey), ("Sec-WebSocket-Version", "13"),
        ])
        for name in removing { headers.removeAll(named: name) }
        for (name, value) in extra { headers.append(name: name, value: value) }
        return IncomingRequest(method: method, target: "/socket", version: version, headers: headers)
    }

    static func harness(_ request: IncomingRequest, options: DriverOptions = DriverOptions()) -> DriverHarness {
        DriverHarness { Driver.forRequest(request, options: options, output: $0) }
    }

    /// The refusal a failed handshake writes.
    static func refusal(_ status: String, _ message: String, versionHeader: Bool = false) -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(message.utf8.count)\r\n"
            + (versionHeader ? "Sec-WebSocket-Version: 13\r\n" : "") + "Connection: close\r\n\r\n" + message
    }

    /// Starts a driver for `request` and checks it was refused with exactly `status` and `message`.
    func expectRefused(
        _ request: IncomingRequest,
        status: Int,
        statusLine: String,
        message: String,
        options: DriverOptions = DriverOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let harness = Self.harness(request, options: options)
        #expect(harness.driver.start() == false, sourceLocation: sourceLocation)
        #expect(
            harness.writtenText == Self.refusal(statusLine, message, versionHeader: status == 426),
            sourceLocation: sourceLocation)
        #expect(harness.writes.count == 1, sourceLocation: sourceLocation)
        #expect(harness.events == [.error(message), .close(1002, message)], sourceLocation: sourceLocation)
        #expect(harness.errors.first?.httpStatus == status, sourceLocation: sourceLocation)
        #expect(harness.errors.first?.closeCode == .protocolError, sourceLocation: sourceLocation)
        #expect(harness.driver.readyState == .closed, sourceLocation: sourceLocation)
        // Nothing more happens: no second start, no frames.
        #expect(harness.driver.start() == false, sourceLocation: sourceLocation)
        #expect(harness.driver.text("late") == false, sourceLocation: sourceLocation)
        harness.parse(Bytes.masked(0x81, Bytes.text("Hi")))
        #expect(harness.writes.count == 1, sourceLocation: sourceLocation)
        #expect(harness.events.count == 2, sourceLocation: sourceLocation)
    }

    // MARK: Accept values

    @Test func acceptVectors() {
        // RFC 6455 §1.3 and §4.2.2.
        #expect(Driver.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        // The Ruby hybi and client specs.
        #expect(Driver.acceptValue(forKey: Self.rubyKey) == Self.rubyAccept)
        #expect(Driver.acceptValue(forKey: "2vBVWg4Qyk3ZoM/5d3QD9Q==") == "QV3I5XUXU2CdhtjixE7QCkCcMZM=")
    }

    @Test func rfcSampleHandshakeThroughTheServerDriver() {
        let harness = DriverHarness { Driver.server(output: $0) }
        harness.driver.onConnect = { [unowned harness] _ in harness.driver.start() }
        harness.parse(upgradeRequest())
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    }

    // MARK: Ruby "in the :connecting state"

    @Test func startsConnecting() {
        #expect(Self.harness(Self.request()).driver.readyState == .connecting)
    }

    @Test func startWritesExactly101AndReturnsTrue() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.start())
        #expect(harness.writtenText == Self.response101)
        #expect(harness.writes.count == 1)
    }

    @Test func startOpens() {
        let harness = Self.harness(Self.request())
        harness.driver.start()
        #expect(harness.events == [.open])
        #expect(harness.driver.readyState == .open)
        #expect(harness.driver.version == "hybi-13")
    }

    @Test func startTwiceWritesOnce() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.start())
        #expect(harness.driver.start() == false)
        #expect(harness.writtenText == Self.response101)
        #expect(harness.events == [.open])
    }

    @Test func selectsSubprotocolInClientOrder() {
        var options = DriverOptions()
        options.protocols = ["xmpp"]
        let harness = Self.harness(
            Self.request(adding: [("Sec-WebSocket-Protocol", "foo, bar, xmpp")]), options: options)
        // Known from the request, before start.
        #expect(harness.driver.protocol == "xmpp")
        harness.driver.start()
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(Self.rubyAccept)\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n")
        #expect(harness.driver.protocol == "xmpp")
    }

    @Test func subprotocolChoiceFollowsTheClientsOrder() {
        var options = DriverOptions()
        options.protocols = ["c", "b"]
        let offered = Self.harness(Self.request(adding: [("Sec-WebSocket-Protocol", "a,b , c")]), options: options)
        #expect(offered.driver.protocol == "b")
        // Several header lines form one list.
        let split = Self.harness(
            Self.request(adding: [("Sec-WebSocket-Protocol", "a"), ("Sec-WebSocket-Protocol", "c, b")]),
            options: options)
        #expect(split.driver.protocol == "c")
    }

    @Test func noSubprotocolMatchMeansNoHeader() {
        var options = DriverOptions()
        options.protocols = ["xmpp"]
        // Matching is exact and case-sensitive.
        let harness = Self.harness(Self.request(adding: [("Sec-WebSocket-Protocol", "XMPP, irc")]), options: options)
        #expect(harness.driver.protocol == nil)
        harness.driver.start()
        #expect(harness.writtenText == Self.response101)
        // No list at all.
        let none = Self.harness(Self.request(), options: options)
        #expect(none.driver.protocol == nil)
    }

    @Test func invalidExtensionOfferIsRefused() {
        let message =
            "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame (at byte 10: expected \",\", \";\" or the end of the header)"
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Extensions", "x-webkit- -frame")]), status: 400,
            statusLine: "400 Bad Request", message: message)
    }

    @Test func invalidExtensionOfferEmitsNoOpen() {
        let harness = Self.harness(Self.request(adding: [("Sec-WebSocket-Extensions", "x-webkit- -frame")]))
        harness.driver.start()
        #expect(!harness.events.contains(.open))
        #expect(harness.errors.first.map { if case .invalidExtensionOffer = $0 { true } else { false } } == true)
    }

    @Test func customHeadersFollowTheDriversOwn() throws {
        let harness = Self.harness(Self.request())
        try harness.driver.setHeader("Authorization", "Bearer WAT")
        try harness.driver.setHeader("Set-Cookie", "a=1")
        try harness.driver.setHeader("Set-Cookie", "b=2")
        harness.driver.start()
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(Self.rubyAccept)\r\n"
                + "Authorization: Bearer WAT\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")
    }

    @Test func headersFromOptionsAreWritten() {
        var options = DriverOptions()
        options.headers = ["X-Served-By": "swift"]
        let harness = Self.harness(Self.request(), options: options)
        harness.driver.start()
        #expect(harness.writtenText.hasSuffix("Sec-WebSocket-Accept: \(Self.rubyAccept)\r\nX-Served-By: swift\r\n\r\n"))
    }

    @Test func invalidHeadersFromOptionsNeverReachTheWire() {
        var options = DriverOptions()
        options.headers = HeaderFields([
            ("X-Good", "1"), ("X-Evil", "a\r\nInjected: b"), ("Bad Name", "x"), ("Upgrade", "h2c"),
            ("sec-websocket-accept", "forged"), ("X-Also-Good", "2"),
        ])
        let harness = Self.harness(Self.request(), options: options)
        harness.driver.start()
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(Self.rubyAccept)\r\nX-Good: 1\r\nX-Also-Good: 2\r\n\r\n")
    }

    @Test func responseHeaderOrderWithProtocolExtensionAndCustomHeader() throws {
        var options = DriverOptions()
        options.protocols = ["chat"]
        try options.extensions.add(TestExtension())
        let harness = Self.harness(
            Self.request(adding: [("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Extensions", "x-test")]),
            options: options)
        try harness.driver.setHeader("X-Custom", "1")
        harness.driver.start()
        #expect(
            harness.writtenText
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(Self.rubyAccept)\r\nSec-WebSocket-Protocol: chat\r\n"
                + "Sec-WebSocket-Extensions: x-test\r\nX-Custom: 1\r\n\r\n")
        #expect(harness.driver.extensions == ["x-test"])
    }

    @Test func unofferedOrDeclinedExtensionsAreNotAnswered() throws {
        var options = DriverOptions()
        try options.extensions.add(TestExtension())
        let unknown = Self.harness(
            Self.request(adding: [("Sec-WebSocket-Extensions", "x-other; a=1")]), options: options)
        unknown.driver.start()
        #expect(unknown.writtenText == Self.response101)
        #expect(unknown.driver.extensions == [])
        let declined = Self.harness(
            Self.request(adding: [("Sec-WebSocket-Extensions", "x-test; decline")]), options: options)
        declined.driver.start()
        #expect(declined.writtenText == Self.response101)
    }

    // MARK: setHeader

    @Test func setHeaderRefusesBadInput() throws {
        let harness = Self.harness(Self.request())
        #expect(throws: HeaderError.invalidName("Bad Name")) { try harness.driver.setHeader("Bad Name", "x") }
        #expect(throws: HeaderError.invalidName("")) { try harness.driver.setHeader("", "x") }
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try harness.driver.setHeader("X-A", "a\r\nB: c") }
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try harness.driver.setHeader("X-A", "a\nb") }
        #expect(throws: HeaderError.invalidValue(name: "X-A")) { try harness.driver.setHeader("X-A", "a\u{0}b") }
        for name in [
            "Upgrade", "connection", "Sec-WebSocket-Accept", "sec-websocket-protocol", "Sec-WebSocket-Extensions",
            "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        ] {
            #expect(throws: HeaderError.managedByDriver(name)) { try harness.driver.setHeader(name, "x") }
        }
        // A tab and non-ASCII text are fine in a value.
        try harness.driver.setHeader("X-Tab", "a\tb é")
        harness.driver.start()
        #expect(harness.writtenText.hasSuffix("X-Tab: a\tb é\r\n\r\n"))
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.setHeader("X-Late", "1") }
    }

    @Test func setHeaderAfterCloseBeforeStartThrows() {
        let harness = Self.harness(Self.request())
        harness.driver.close()
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.setHeader("X-Late", "1") }
    }

    // MARK: Queued before start (Ruby)

    @Test func textBeforeStartIsQueued() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.text("Hi"))
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.written == Array(Self.response101.utf8) + Bytes.hex("81 02 48 69"))
    }

    @Test func pingBeforeStartIsQueued() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.ping())
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.written == Array(Self.response101.utf8) + Bytes.hex("89 00"))
    }

    @Test func pongBeforeStartIsQueued() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.pong())
        #expect(harness.written.isEmpty)
        harness.driver.start()
        #expect(harness.written == Array(Self.response101.utf8) + Bytes.hex("8a 00"))
    }

    @Test func closeBeforeStart() {
        let harness = Self.harness(Self.request())
        harness.driver.text("discarded")
        #expect(harness.driver.close())
        #expect(harness.written.isEmpty)
        #expect(harness.events == [.close(1000, "")])
        #expect(harness.driver.readyState == .closed)
        #expect(harness.driver.start() == false)
        #expect(harness.written.isEmpty)
        #expect(harness.driver.close() == false)
        #expect(harness.events == [.close(1000, "")])
    }

    @Test func closeBeforeStartWithCodeAndReason() {
        let harness = Self.harness(Self.request())
        #expect(harness.driver.close(code: .goingAway, reason: "shutting down"))
        #expect(harness.events == [.close(1001, "shutting down")])
        #expect(harness.written.isEmpty)
    }

    // MARK: Validation, in order

    @Test func refusesAnotherMethod() {
        expectRefused(
            Self.request(method: "POST"), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: the method is POST, not GET")
        // Methods are case-sensitive.
        expectRefused(
            Self.request(method: "get"), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: the method is get, not GET")
    }

    @Test func refusesHTTP10() {
        expectRefused(
            Self.request(version: "HTTP/1.0"), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: HTTP/1.1 or later is required")
    }

    @Test func refusesMissingOrWrongUpgrade() {
        let message = "Not a WebSocket request: the Upgrade header does not name websocket"
        expectRefused(
            Self.request(removing: ["Upgrade"]), status: 400, statusLine: "400 Bad Request", message: message)
        expectRefused(
            Self.request(adding: [("Upgrade", "h2c")], removing: ["Upgrade"]), status: 400,
            statusLine: "400 Bad Request", message: message)
    }

    @Test func refusesMissingOrWrongConnection() {
        let message = "Not a WebSocket request: the Connection header does not list Upgrade"
        expectRefused(
            Self.request(removing: ["Connection"]), status: 400, statusLine: "400 Bad Request", message: message)
        expectRefused(
            Self.request(adding: [("Connection", "keep-alive, Upgrades")], removing: ["Connection"]), status: 400,
            statusLine: "400 Bad Request", message: message)
    }

    @Test func tokenListsAndCaseAreAccepted() {
        for (upgrade, connection) in [
            ("WebSocket", "keep-alive, Upgrade"), ("websocket, h2c", "keep-alive,upgrade"),
            ("WEBSOCKET", "Upgrade\t,\tkeep-alive"), ("websocket", "UPGRADE"),
        ] {
            let harness = Self.harness(
                Self.request(
                    adding: [("Upgrade", upgrade), ("Connection", connection)], removing: ["Upgrade", "Connection"]))
            #expect(harness.driver.start(), "Upgrade: \(upgrade), Connection: \(connection)")
        }
    }

    @Test func refusesMissingHost() {
        expectRefused(
            Self.request(removing: ["Host"]), status: 400, statusLine: "400 Bad Request",
            message: "Missing handshake request header: Host")
        expectRefused(
            Self.request(adding: [("Host", "")], removing: ["Host"]), status: 400, statusLine: "400 Bad Request",
            message: "Missing handshake request header: Host")
    }

    @Test func refusesOtherVersionsWith426() {
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Version", "8")], removing: ["Sec-WebSocket-Version"]), status: 426,
            statusLine: "426 Upgrade Required", message: "Unsupported WebSocket version: \"8\"; this server speaks 13")
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Version", "")], removing: ["Sec-WebSocket-Version"]), status: 426,
            statusLine: "426 Upgrade Required", message: "Unsupported WebSocket version: \"\"; this server speaks 13")
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Version", "13, 8")], removing: ["Sec-WebSocket-Version"]),
            status: 426, statusLine: "426 Upgrade Required",
            message: "Unsupported WebSocket version: \"13, 8\"; this server speaks 13")
        // Two header lines are two values, even if both say 13.
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Version", "13")]), status: 426, statusLine: "426 Upgrade Required",
            message: "Unsupported WebSocket version: \"13, 13\"; this server speaks 13")
        // A key without a version still selects hybi, which then refuses.
        expectRefused(
            Self.request(removing: ["Sec-WebSocket-Version"]), status: 426, statusLine: "426 Upgrade Required",
            message: "Unsupported WebSocket version: none; this server speaks 13")
    }

    @Test func refusesMissingKey() {
        expectRefused(
            Self.request(removing: ["Sec-WebSocket-Key"]), status: 400, statusLine: "400 Bad Request",
            message: "Missing handshake request header: Sec-WebSocket-Key")
    }

    @Test func refusesKeysThatAreNot16BytesOfBase64() {
        for key in ["abc", "", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSE=", "!!!!!!!!!!!!!!!!!!!!!!=="] {
            expectRefused(
                Self.request(adding: [("Sec-WebSocket-Key", key)], removing: ["Sec-WebSocket-Key"]), status: 400,
                statusLine: "400 Bad Request",
                message: "Invalid Sec-WebSocket-Key: \"\(key)\" is not 16 bytes in base64")
        }
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Key", sampleKey)]), status: 400, statusLine: "400 Bad Request",
            message: "Invalid Sec-WebSocket-Key: \"\(Self.rubyKey), \(sampleKey)\" is not 16 bytes in base64")
    }

    @Test func checksRunInOrder() {
        // Each request fails two checks; the earlier one is reported.
        expectRefused(
            Self.request(method: "POST", removing: ["Upgrade"]), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: the method is POST, not GET")
        expectRefused(
            Self.request(version: "HTTP/1.0", removing: ["Upgrade"]), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: HTTP/1.1 or later is required")
        expectRefused(
            Self.request(removing: ["Upgrade", "Connection"]), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: the Upgrade header does not name websocket")
        expectRefused(
            Self.request(removing: ["Connection", "Host"]), status: 400, statusLine: "400 Bad Request",
            message: "Not a WebSocket request: the Connection header does not list Upgrade")
        expectRefused(
            Self.request(removing: ["Host", "Sec-WebSocket-Version"]), status: 400, statusLine: "400 Bad Request",
            message: "Missing handshake request header: Host")
        expectRefused(
            Self.request(
                adding: [("Sec-WebSocket-Version", "7")], removing: ["Sec-WebSocket-Version", "Sec-WebSocket-Key"]),
            status: 426, statusLine: "426 Upgrade Required",
            message: "Unsupported WebSocket version: \"7\"; this server speaks 13")
        let message =
            "Invalid Sec-WebSocket-Extensions header: a, (at byte 2: expected an extension name (token))"
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Extensions", "a,")]), status: 400, statusLine: "400 Bad Request",
            message: message)
        expectRefused(
            Self.request(adding: [("Sec-WebSocket-Extensions", "a,")], removing: ["Sec-WebSocket-Key"]), status: 400,
            statusLine: "400 Bad Request", message: "Missing handshake request header: Sec-WebSocket-Key")
    }

    @Test func refusalOfANonWebSocketRequestThroughServerDriver() {
        let harness = DriverHarness { Driver.server(output: $0) }
        var sawConnect = false
        harness.driver.onConnect = { [unowned harness] request in
            sawConnect = true
            #expect(Driver.isWebSocketRequest(request) == false)
            harness.driver.start()
        }
        harness.parse("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(sawConnect)
        // No Sec-WebSocket-* header: the draft-75 engine answers.
        let message = "Not a WebSocket request: missing Upgrade: WebSocket and Connection: Upgrade"
        #expect(harness.writtenText == Self.refusal("400 Bad Request", message))
        #expect(harness.events == [.error(message), .close(1002, message)])
        #expect(harness.driver.version == "hixie-75")
    }

    // MARK: Driver selection (P-SELECT)

    @Test func selectsTheProtocolFlavourFromHeaderPresence() {
        func version(_ headers: [(String, String)]) -> String? {
            var all: [(String, String)] = [("Host", "h"), ("Upgrade", "websocket"), ("Connection", "Upgrade")]
            all += headers
            let request = IncomingRequest(method: "GET", target: "/", headers: HeaderFields(all))
            return Driver.forRequest(request) { _ in }.version
        }
        #expect(version([("Sec-WebSocket-Version", "13")]) == "hybi-13")
        #expect(version([("Sec-WebSocket-Key", sampleKey)]) == "hybi-13")
        #expect(version([("Sec-WebSocket-Version", "")]) == "hybi-13")
        #expect(
            version([("Sec-WebSocket-Version", "8"), ("Sec-WebSocket-Key1", "1 1"), ("Sec-WebSocket-Key2", "1 1")])
                == "hybi-13")
        #expect(version([("Sec-WebSocket-Key1", "1 1")]) == "hixie-76")
        #expect(version([("Sec-WebSocket-Key2", "1 1")]) == "hixie-76")
        #expect(version([]) == "hixie-75")
    }

    @Test func malformedHybiIsNotRetriedAsADraft() {
        let request = Self.request(
            adding: [("Sec-WebSocket-Version", "8"), ("Sec-WebSocket-Key1", "1 1"), ("Sec-WebSocket-Key2", "1 1")],
            removing: ["Sec-WebSocket-Version"])
        let harness = Self.harness(request)
        #expect(harness.driver.start() == false)
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
    }

    @Test func isWebSocketRequest() {
        func check(_ method: String, _ headers: [(String, String)]) -> Bool {
            Driver.isWebSocketRequest(IncomingRequest(method: method, target: "/", headers: HeaderFields(headers)))
        }
        #expect(check("GET", [("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        #expect(check("GET", [("Connection", "keep-alive, Upgrade"), ("Upgrade", "WebSocket")]))
        #expect(check("GET", [("Connection", "keep-alive,Upgrade"), ("Upgrade", "websocket")]))
        #expect(check("GET", [("Connection", "keep-alive,  Upgrade "), ("Upgrade", "websocket")]))
        #expect(check("GET", [("Connection", "keep-alive,\tUpgrade"), ("Upgrade", "websocket")]))
        #expect(check("GET", [("Connection", "Upgrade"), ("Upgrade", "websocket, h2c")]))
        #expect(!check("POST", [("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        #expect(!check("get", [("Connection", "Upgrade"), ("Upgrade", "websocket")]))
        #expect(!check("GET", [("Upgrade", "websocket")]))
        #expect(!check("GET", [("Connection", "Upgrade")]))
        #expect(!check("GET", [("Connection", "Upgraded"), ("Upgrade", "websocket")]))
        #expect(!check("GET", [("Connection", "Upgrade"), ("Upgrade", "websockets")]))
    }
}
