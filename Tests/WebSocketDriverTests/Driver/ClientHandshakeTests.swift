import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// The hybi-13 client handshake (RFC 6455 §4.1; Ruby `client_spec.rb`).
@Suite struct ClientHandshakeTests {
    static let url = "ws://www.example.com/socket"

    static func harness(
        _ url: String = url,
        options: DriverOptions = DriverOptions()
    ) throws -> DriverHarness {
        try DriverHarness { try Driver.client(url: url, options: options, output: $0) }
    }

    /// The request the client should write, for the key it chose.
    static func expectedRequest(
        target: String = "/socket",
        host: String = "www.example.com",
        key: String,
        extra: [String] = []
    ) -> String {
        var text = "GET \(target) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for line in extra { text += line + "\r\n" }
        return text + "\r\n"
    }

    /// Starts a client, answers it with `response` and checks the handshake failed with `detail`.
    func expectFailure(
        response: (DriverHarness) -> String,
        detail: String,
        options: DriverOptions = DriverOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let harness = try Self.harness(options: options)
        harness.driver.text("queued")
        harness.driver.start()
        let answer = response(harness)
        let request = harness.takeWritten()
        #expect(!request.isEmpty, sourceLocation: sourceLocation)
        // A frame follows the response in the same read: it must not be parsed.
        harness.parse(Bytes.text(answer) + Bytes.hex("81 02 48 69"))
        let message = "Error during WebSocket handshake: " + detail
        #expect(harness.events == [.error(message), .close(1002, message)], sourceLocation: sourceLocation)
        #expect(harness.errors.first?.closeCode == .protocolError, sourceLocation: sourceLocation)
        #expect(harness.errors.first?.isClientHandshakeError == true, sourceLocation: sourceLocation)
        #expect(harness.errors.first?.httpStatus == nil, sourceLocation: sourceLocation)
        #expect(harness.driver.readyState == .closed, sourceLocation: sourceLocation)
        #expect(harness.driver.protocol == nil, sourceLocation: sourceLocation)
        #expect(harness.driver.extensions == [], sourceLocation: sourceLocation)
        // Nothing is written, not even the queued message or a close frame, and nothing more
        // happens.
        #expect(harness.written.isEmpty, sourceLocation: sourceLocation)
        #expect(harness.driver.text("late") == false, sourceLocation: sourceLocation)
        #expect(harness.driver.close() == false, sourceLocation: sourceLocation)
        harness.parse(Bytes.unmasked(0x81, Bytes.text("more")))
        #expect(harness.events.count == 2, sourceLocation: sourceLocation)
        #expect(harness.written.isEmpty, sourceLocation: sourceLocation)
    }

    // MARK: Before start

    @Test func newClientIsNotStarted() throws {
        let harness = try Self.harness()
        #expect(harness.driver.readyState == .notStarted)
        #expect(harness.driver.readyState.rawValue == -1)
        #expect(harness.driver.version == "hybi-13")
        #expect(harness.driver.url == Self.url)
        #expect(harness.driver.status == nil)
        #expect(harness.driver.headers == nil)
        #expect(harness.driver.response == nil)
        #expect(harness.written.isEmpty)
    }

    @Test func closeBeforeStart() throws {
        let harness = try Self.harness()
        #expect(harness.driver.close())
        #expect(harness.driver.readyState == .closed)
        #expect(harness.events == [.close(1000, "")])
        #expect(harness.driver.start() == false)
        #expect(harness.written.isEmpty)
    }

    @Test func parseBeforeStartIsIgnored() throws {
        let harness = try Self.harness()
        harness.parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
        #expect(harness.events.isEmpty)
        #expect(harness.driver.readyState == .notStarted)
        // The ignored bytes leave no trace: the real response still works after start.
        harness.driver.start()
        harness.parse(harness.handshakeResponse())
        #expect(harness.events == [.open])
    }

    // MARK: The request

    @Test func startWritesTheRequest() throws {
        let harness = try Self.harness()
        #expect(harness.driver.start())
        let key = try #require(harness.requestKey)
        #expect(Base64.decode(key)?.count == 16)
        #expect(harness.writtenText == Self.expectedRequest(key: key))
        #expect(harness.writes.count == 1)
        #expect(harness.driver.readyState == .connecting)
        #expect(harness.driver.start() == false)
        #expect(harness.writes.count == 1)
    }

    @Test func everyClientHasAFreshKey() throws {
        var keys = Set<String>()
        for _ in 0..<20 {
            let harness = try Self.harness()
            harness.driver.start()
            keys.insert(try #require(harness.requestKey))
        }
        #expect(keys.count == 20)
    }

    @Test func requestWithProtocols() throws {
        var options = DriverOptions()
        options.protocols = ["foo", "bar", "xmpp"]
        let harness = try Self.harness(options: options)
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(
            harness.writtenText == Self.expectedRequest(key: key, extra: ["Sec-WebSocket-Protocol: foo, bar, xmpp"]))
    }

    @Test func requestWithCredentials() throws {
        let harness = try Self.harness("ws://user:pass@www.example.com/socket")
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(harness.writtenText == Self.expectedRequest(key: key, extra: ["Authorization: Basic dXNlcjpwYXNz"]))
        // Credentials never show in the URL the driver reports.
        #expect(harness.driver.url == Self.url)
    }

    @Test func credentialsArePercentDecoded() throws {
        let harness = try Self.harness("ws://us%40er:p%3Ass%20w@www.example.com/socket")
        harness.driver.start()
        // base64("us@er:p:ss w")
        #expect(harness.writtenText.contains("Authorization: Basic \(Base64.encode(Bytes.text("us@er:p:ss w")))\r\n"))
        let userOnly = try Self.harness("ws://user@www.example.com/socket")
        userOnly.driver.start()
        #expect(userOnly.writtenText.contains("Authorization: Basic \(Base64.encode(Bytes.text("user:")))\r\n"))
    }

    @Test func userAuthorizationHeaderWinsOverURLCredentials() throws {
        let harness = try Self.harness("ws://user:pass@www.example.com/socket")
        try harness.driver.setHeader("Authorization", "Bearer token")
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(harness.writtenText == Self.expectedRequest(key: key, extra: ["Authorization: Bearer token"]))
    }

    @Test func userHostHeaderReplacesTheDefault() throws {
        // One Host line only (RFC 7230 §5.4: a server rejects a request with two).
        let harness = try Self.harness("ws://127.0.0.1:8080/socket")
        try harness.driver.setHeader("Host", "virtual.example.com")
        try harness.driver.setHeader("User-Agent", "Chrome")
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(
            harness.writtenText
                == Self.expectedRequest(host: "virtual.example.com", key: key, extra: ["User-Agent: Chrome"]))
    }

    @Test func hostHeaderKeepsOnlyNonDefaultPorts() throws {
        let cases: [(String, String)] = [
            ("ws://www.example.com:3000/socket", "www.example.com:3000"),
            ("ws://www.example.com:80/socket", "www.example.com"),
            ("wss://www.example.com/socket", "www.example.com"),
            ("wss://www.example.com:443/socket", "www.example.com"),
            ("wss://www.example.com:3000/socket", "www.example.com:3000"),
            ("ws://www.example.com:443/socket", "www.example.com:443"),
            ("ws://[::1]:9000/socket", "[::1]:9000"),
            ("ws://[::1]/socket", "[::1]"),
        ]
        for (url, host) in cases {
            let harness = try Self.harness(url)
            harness.driver.start()
            let key = try #require(harness.requestKey)
            #expect(harness.writtenText == Self.expectedRequest(host: host, key: key), "\(url)")
        }
    }

    @Test func requestTarget() throws {
        let cases: [(String, String)] = [
            ("ws://h", "/"), ("ws://h/", "/"), ("ws://h?x=1", "/?x=1"), ("ws://h/a/b?x=1&y=2#frag", "/a/b?x=1&y=2"),
            ("ws://h/#frag", "/"),
        ]
        for (url, target) in cases {
            let harness = try Self.harness(url)
            harness.driver.start()
            let key = try #require(harness.requestKey)
            #expect(harness.writtenText == Self.expectedRequest(target: target, host: "h", key: key), "\(url)")
        }
    }

    @Test func customHeadersComeAfterTheDriversOwn() throws {
        var options = DriverOptions()
        options.protocols = ["chat"]
        options.headers = ["Origin": "http://www.example.com"]
        let harness = try Self.harness("ws://u:p@www.example.com/socket", options: options)
        try harness.driver.setHeader("User-Agent", "Chrome")
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(
            harness.writtenText
                == Self.expectedRequest(
                    key: key,
                    extra: [
                        "Sec-WebSocket-Protocol: chat", "Authorization: Basic dTpw", "Origin: http://www.example.com",
                        "User-Agent: Chrome",
                    ]))
    }

    @Test func invalidHeadersFromOptionsNeverReachTheWire() throws {
        var options = DriverOptions()
        options.headers = HeaderFields([
            ("Origin", "http://www.example.com"), ("X-Evil", "a\nb"), ("Sec-WebSocket-Version", "8"),
            ("Connection", "close"),
        ])
        let harness = try Self.harness(options: options)
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(harness.writtenText == Self.expectedRequest(key: key, extra: ["Origin: http://www.example.com"]))
    }

    @Test func extensionOfferComesLast() throws {
        var options = DriverOptions()
        var ext = TestExtension()
        ext.parameters = [ExtensionParameter("level", value: 3)]
        try options.extensions.add(ext)
        let harness = try Self.harness(options: options)
        try harness.driver.setHeader("User-Agent", "Chrome")
        harness.driver.start()
        let key = try #require(harness.requestKey)
        #expect(
            harness.writtenText
                == Self.expectedRequest(
                    key: key, extra: ["User-Agent: Chrome", "Sec-WebSocket-Extensions: x-test; level=3"]))
    }

    @Test func setHeaderOnlyBeforeStart() throws {
        let harness = try Self.harness()
        #expect(throws: HeaderError.managedByDriver("Sec-WebSocket-Key")) {
            try harness.driver.setHeader("Sec-WebSocket-Key", "x")
        }
        harness.driver.start()
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.setHeader("User-Agent", "Chrome") }
        #expect(throws: HeaderError.handshakeAlreadySent) { try harness.driver.addExtension(TestExtension()) }
    }

    @Test func invalidURLsThrow() {
        #expect(throws: WebSocketURLError.self) { _ = try Driver.client(url: "stream.wikimedia.org/rc") { _ in } }
        #expect(throws: WebSocketURLError.self) { _ = try Driver.client(url: "http://www.example.com/") { _ in } }
    }

    // MARK: The response

    @Test func validResponseOpens() throws {
        let harness = try Self.harness()
        harness.driver.start()
        harness.parse(harness.handshakeResponse())
        #expect(harness.events == [.open])
        #expect(harness.driver.readyState == .open)
        #expect(harness.driver.status == 101)
        #expect(harness.driver.headers?["Upgrade"] == "websocket")
        #expect(harness.driver.headers?["upgrade"] == "websocket")
        #expect(harness.driver.response?.reason == "Switching Protocols")
        #expect(harness.driver.response?.version == "HTTP/1.1")
        #expect(harness.driver.protocol == nil)
    }

    @Test func responseSplitByteByByte() throws {
        let harness = try Self.harness()
        harness.driver.start()
        for byte in Bytes.text(harness.handshakeResponse()) + Bytes.unmasked(0x81, Bytes.text("Hi")) {
            harness.parse([byte])
        }
        #expect(harness.events == [.open, .message(.text("Hi"))])
    }

    @Test func framesAfterTheResponseInTheSameChunk() throws {
        let harness = try Self.harness()
        harness.driver.start()
        harness.parse(Bytes.text(harness.handshakeResponse()) + Bytes.hex("81 02 48 69"))
        #expect(harness.driver.readyState == .open)
        #expect(harness.events == [.open, .message(.text("Hi"))])
    }

    @Test func lenientStatusLines() throws {
        for statusLine in ["HTTP/1.0 101 OK", "HTTP/1.1 101 ", "HTTP/1.1 101"] {
            let harness = try Self.harness()
            harness.driver.start()
            let response = harness.handshakeResponse().replacingFirstLine(with: statusLine)
            harness.parse(response)
            #expect(harness.events == [.open], "\(statusLine)")
        }
    }

    @Test func connectionTokenListIsAccepted() throws {
        let harness = try Self.harness()
        harness.driver.start()
        harness.parse(
            harness.handshakeResponse().replacingOccurrences("Connection: Upgrade", "Connection: keep-alive, upgrade"))
        #expect(harness.events == [.open])
    }

    @Test func upgradeIsCaseInsensitive() throws {
        let harness = try Self.harness()
        harness.driver.start()
        harness.parse(harness.handshakeResponse().replacingOccurrences("Upgrade: websocket", "Upgrade: WebSocket"))
        #expect(harness.events == [.open])
    }

    @Test func invalidStatusLine() throws {
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("101", "4") },
            detail: "Invalid HTTP response: Malformed HTTP start line: the status code is not three digits")
    }

    @Test func invalidHeaderLineIsReportedAtOnce() throws {
        let harness = try Self.harness()
        harness.driver.start()
        _ = harness.takeWritten()
        // No blank line yet: the error is reported as soon as the bad line ends.
        harness.parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n")
        let message =
            "Error during WebSocket handshake: Invalid HTTP response: "
            + "Malformed HTTP header field on line 2: there is no colon after the field name"
        #expect(harness.events == [.error(message), .close(1002, message)])
        #expect(harness.driver.status == nil)
    }

    @Test func unexpectedStatus() throws {
        let harness = try Self.harness()
        harness.driver.start()
        harness.parse("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        let message = "Error during WebSocket handshake: Unexpected response code: 403"
        #expect(harness.events == [.error(message), .close(1002, message)])
        // status and headers are available even though validation failed.
        #expect(harness.driver.status == 403)
        #expect(harness.driver.headers?["Content-Length"] == "0")
        #expect(harness.driver.response?.reason == "Forbidden")
        try expectFailure(
            response: { $0.handshakeResponse().replacingFirstLine(with: "HTTP/1.1 200 OK") },
            detail: "Unexpected response code: 200")
    }

    @Test func upgradeHeaderChecks() throws {
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Upgrade: websocket\r\n", "") },
            detail: "'Upgrade' header is missing")
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Upgrade: websocket", "Upgrade:") },
            detail: "'Upgrade' header is missing")
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Upgrade: websocket", "Upgrade: wrong") },
            detail: "'Upgrade' header value is not 'WebSocket'")
        // Two Upgrade lines join to "websocket, websocket".
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Upgrade: websocket"]) },
            detail: "'Upgrade' header value is not 'WebSocket'")
    }

    @Test func connectionHeaderChecks() throws {
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Connection: Upgrade\r\n", "") },
            detail: "'Connection' header is missing")
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Connection: Upgrade", "Connection:  ") },
            detail: "'Connection' header is missing")
        try expectFailure(
            response: { $0.handshakeResponse().replacingOccurrences("Connection: Upgrade", "Connection: close") },
            detail: "'Connection' header value is not 'Upgrade'")
    }

    @Test func acceptChecks() throws {
        try expectFailure(
            response: { $0.handshakeResponse().replacingAcceptValue(with: "wrong") },
            detail: "Sec-WebSocket-Accept mismatch")
        // The comparison is exact: case matters in base64.
        try expectFailure(
            response: { harness in
                harness.handshakeResponse().replacingAcceptValue(
                    with: Driver.acceptValue(forKey: harness.requestKey ?? "").lowercased())
            },
            detail: "Sec-WebSocket-Accept mismatch")
        try expectFailure(
            response: { $0.handshakeResponse().replacingAcceptValue(with: nil) },
            detail: "Sec-WebSocket-Accept mismatch")
        // The accept for another key.
        try expectFailure(
            response: { $0.handshakeResponse().replacingAcceptValue(with: sampleAccept) },
            detail: "Sec-WebSocket-Accept mismatch")
    }

    @Test func serverChoosesOfferedProtocol() throws {
        var options = DriverOptions()
        options.protocols = ["foo", "xmpp"]
        let harness = try Self.harness(options: options)
        harness.driver.start()
        harness.parse(harness.handshakeResponse(extraHeaders: ["Sec-WebSocket-Protocol: xmpp"]))
        #expect(harness.events == [.open])
        #expect(harness.driver.protocol == "xmpp")
    }

    @Test func serverChoosesProtocolNotOffered() throws {
        var options = DriverOptions()
        options.protocols = ["foo", "xmpp"]
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Protocol: irc"]) },
            detail: "Sec-WebSocket-Protocol mismatch", options: options)
        // Case-sensitive.
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Protocol: XMPP"]) },
            detail: "Sec-WebSocket-Protocol mismatch", options: options)
        // Offering none, any protocol is a mismatch.
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Protocol: chat"]) },
            detail: "Sec-WebSocket-Protocol mismatch")
    }

    @Test func emptyProtocolHeaderMeansNone() throws {
        var options = DriverOptions()
        options.protocols = ["foo"]
        let harness = try Self.harness(options: options)
        harness.driver.start()
        harness.parse(harness.handshakeResponse(extraHeaders: ["Sec-WebSocket-Protocol:"]))
        #expect(harness.events == [.open])
        #expect(harness.driver.protocol == nil)
    }

    // MARK: Extensions in the response

    @Test func acceptedExtensionIsActive() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        let harness = try DriverHarness.openClient(
            options: options, responseHeaders: ["Sec-WebSocket-Extensions: x-test"])
        #expect(harness.driver.extensions == ["x-test"])
        #expect(log.entries == ["x-test activate"])
    }

    @Test func serverMayDeclineOfferedExtensions() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        let harness = try DriverHarness.openClient(options: options)
        #expect(harness.driver.extensions == [])
        // The unused session was released.
        #expect(log.entries == ["x-test close"])
    }

    @Test func malformedExtensionResponseFailsTheHandshake() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-test;"]) },
            detail: "Invalid Sec-WebSocket-Extensions header: x-test; (at byte 7: expected a parameter name (token))",
            options: options)
        #expect(log.entries == ["x-test close"])
    }

    @Test func unknownExtensionInResponse() throws {
        var options = DriverOptions()
        try options.extensions.add(TestExtension())
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-other"]) },
            detail: "Server sent an extension response for unknown extension \"x-other\"", options: options)
        // Nothing offered: any extension in the response is unknown.
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-test"]) },
            detail: "Server sent an extension response for unknown extension \"x-test\"")
    }

    @Test func extensionResponseProblems() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        try options.extensions.add(TestExtension(name: "x-two", reservedBits: .rsv1, log: log))
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-test, x-test"]) },
            detail: "Server sent more than one extension response for \"x-test\"", options: options)
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-test, x-two"]) },
            detail: "Server sent two extension responses that use the RSV1 bit: \"x-test\" and \"x-two\"",
            options: options)
        try expectFailure(
            response: { $0.handshakeResponse(extraHeaders: ["Sec-WebSocket-Extensions: x-test; bad"]) },
            detail: "Server sent unacceptable extension parameters: x-test; bad (x-test: bad parameter)",
            options: options)
    }

    @Test func handshakeFailureReleasesExtensionSessions() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        try options.extensions.add(TestExtension(log: log))
        try expectFailure(
            response: { $0.handshakeResponse().replacingAcceptValue(with: "wrong") },
            detail: "Sec-WebSocket-Accept mismatch", options: options)
        #expect(log.entries == ["x-test close"])
    }

    // MARK: Ordering

    @Test func queuedMessagesGoOutBeforeOpenAndBeforeLeftoverFrames() throws {
        let harness = try Self.harness()
        var order: [String] = []
        harness.driver.onOpen = { [unowned harness] in
            order.append("open, \(harness.written.count) bytes written")
        }
        harness.driver.onMessage = { order.append("message \($0)") }
        harness.driver.text("a")
        harness.driver.binary([1, 2])
        harness.driver.start()
        let requestLength = harness.written.count
        harness.parse(Bytes.text(harness.handshakeResponse()) + Bytes.hex("81 02 48 69"))
        // Two masked frames: 2 + 4 + 1 and 2 + 4 + 2 bytes.
        #expect(order == ["open, \(requestLength + 15) bytes written", "message text(\"Hi\")"])
        let frames = Array(harness.written[requestLength...])
        #expect(frames[0] == 0x81 && frames[1] == 0x81)
        #expect(frames[6] ^ frames[2] == UInt8(ascii: "a"))
        #expect(frames[7] == 0x82 && frames[8] == 0x82)
    }

    @Test func synchronousTransportThatAnswersInsideWrite() throws {
        var driver: Driver?
        var answered = false
        var events: [String] = []
        var written: [UInt8] = []
        driver = try Driver.client(url: Self.url) { bytes in
            written.append(contentsOf: bytes)
            guard !answered, let driver else { return }
            answered = true
            // Answer the request at once, from inside the write.
            let text = String(decoding: bytes, as: UTF8.self)
            let keyLine = text.split(separator: "\r\n").first { $0.hasPrefix("Sec-WebSocket-Key: ") }
            let key = String(keyLine?.dropFirst("Sec-WebSocket-Key: ".count) ?? "")
            driver.parse(
                Bytes.text(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: \(Driver.acceptValue(forKey: key))\r\n\r\n"))
        }
        let client = try #require(driver)
        client.onOpen = { events.append("open") }
        client.onError = { events.append("error \($0)") }
        #expect(client.start())
        #expect(events == ["open"])
        #expect(client.readyState == .open)
        driver = nil
    }
}

extension String {
    /// The text with every `target` replaced (no Foundation in these tests).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func replacingFirstLine(with line: String) -> String {
        guard let end = firstRange(of: "\r\n") else { return line }
        return line + self[end.lowerBound...]
    }

    /// An HTTP head with its `Sec-WebSocket-Accept` line replaced, or removed for `nil`.
    func replacingAcceptValue(with value: String?) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false).compactMap { line -> Substring? in
            guard line.hasPrefix("Sec-WebSocket-Accept:") else { return line }
            return value.map { Substring("Sec-WebSocket-Accept: \($0)") }
        }.joined(separator: "\r\n")
    }
}
