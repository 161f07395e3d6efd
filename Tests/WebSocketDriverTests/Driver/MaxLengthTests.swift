import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// `maxLength` (Ruby P-MAXLEN): the message so far plus the announced frame length may not exceed
/// it; checked from the header, before the payload is buffered.
@Suite struct MaxLengthTests {
    static let tooLarge = "WebSocket frame length too large"

    static func server(maxLength: Int) -> DriverHarness {
        var options = DriverOptions()
        options.maxLength = maxLength
        return DriverHarness.openServer(options: options)
    }

    static func expectTooLarge(_ harness: DriverHarness, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            harness.events.suffix(2) == [.error(tooLarge), .close(1009, tooLarge)], sourceLocation: sourceLocation)
        #expect(harness.errors.last?.closeCode == .messageTooBig, sourceLocation: sourceLocation)
    }

    @Test func defaultIsRubys() {
        #expect(DriverOptions.defaultMaxLength == 67_108_863)
        #expect(DriverOptions().maxLength == 67_108_863)
    }

    @Test func exactlyMaxLengthIsAccepted() {
        let server = Self.server(maxLength: 10)
        server.parse(Bytes.masked(0x82, [UInt8](repeating: 1, count: 10)))
        #expect(server.events == [.message(.binary([UInt8](repeating: 1, count: 10)))])
    }

    @Test func oneMoreFailsFromTheHeader() {
        let server = Self.server(maxLength: 10)
        // Only the header: the payload never arrives.
        server.parse(Bytes.hex("82 8b"))
        Self.expectTooLarge(server)
        #expect(server.written == Bytes.unmasked(0x88, [0x03, 0xF1] + Bytes.text(Self.tooLarge)))
    }

    @Test func fragmentsCountTogether() {
        let server = Self.server(maxLength: 10)
        server.parse(Bytes.masked(0x01, Bytes.text("123456")))
        server.parse(Bytes.hex("80 85"))
        Self.expectTooLarge(server)
        let fits = Self.server(maxLength: 10)
        fits.parse(Bytes.masked(0x01, Bytes.text("123456")) + Bytes.masked(0x80, Bytes.text("7890")))
        #expect(fits.events == [.message(.text("1234567890"))])
    }

    @Test func emptyFragmentsAtTheLimit() {
        let server = Self.server(maxLength: 4)
        server.parse(Bytes.masked(0x02, [1, 2, 3, 4]) + Bytes.masked(0x00, []) + Bytes.masked(0x80, []))
        #expect(server.events == [.message(.binary([1, 2, 3, 4]))])
    }

    @Test func controlFramesDoNotCountTowardsTheMessage() {
        let server = Self.server(maxLength: 10)
        server.parse(Bytes.masked(0x01, Bytes.text("123456")))
        server.parse(Bytes.masked(0x89, Bytes.text("8 bytes!")))
        server.parse(Bytes.masked(0x80, Bytes.text("7890")))
        #expect(server.events == [.ping(Bytes.text("8 bytes!")), .message(.text("1234567890"))])
    }

    @Test func aControlFrameOverMaxLengthFails() {
        let server = Self.server(maxLength: 10)
        server.parse(Bytes.masked(0x89, Bytes.text("eleven byte")))
        Self.expectTooLarge(server)
    }

    @Test func nextMessageStartsFromZero() {
        let server = Self.server(maxLength: 5)
        server.parse(Bytes.masked(0x81, Bytes.text("12345")) + Bytes.masked(0x81, Bytes.text("abcde")))
        #expect(server.events == [.message(.text("12345")), .message(.text("abcde"))])
    }

    @Test func zero() {
        let server = Self.server(maxLength: 0)
        server.parse(Bytes.masked(0x81, []))
        #expect(server.events == [.message(.text(""))])
        server.parse(Bytes.masked(0x81, [0x41]))
        Self.expectTooLarge(server)
    }

    @Test func limitOfTheDefault() {
        let server = DriverHarness.openServer()
        // 2^26 - 1 is announced: accepted (the payload would follow).
        server.parse(Bytes.hex("82 ff 00 00 00 00 03 ff ff ff 01 02 03 04"))
        #expect(server.events.isEmpty)
        let over = DriverHarness.openServer()
        over.parse(Bytes.hex("82 ff 00 00 00 00 04 00 00 00"))
        Self.expectTooLarge(over)
    }

    @Test func clientSide() throws {
        var options = DriverOptions()
        options.maxLength = 3
        let client = try DriverHarness.openClient(options: options)
        client.parse(Bytes.unmasked(0x81, Bytes.text("abc")))
        client.parse(Bytes.hex("81 04"))
        #expect(client.events.first == .message(.text("abc")))
        Self.expectTooLarge(client)
        let frames = try #require(client.takeFrames())
        #expect(frames.first?.sameContent(as: .close(1009, Self.tooLarge, masked: true)) == true)
    }

    // MARK: After extensions

    static func serverWithExtension(maxLength: Int) throws -> DriverHarness {
        var options = DriverOptions()
        options.maxLength = maxLength
        try options.extensions.add(TestExtension())
        return DriverHarness.openServer(options: options, extraHeaders: ["Sec-WebSocket-Extensions: x-test"])
    }

    /// A frame the test extension "inflates".
    static func compressed(_ text: String) -> [UInt8] {
        Bytes.masked(0xC1, Array(text.utf8.reversed()))
    }

    @Test func inflatedSizeIsBounded() throws {
        let server = try Self.serverWithExtension(maxLength: 100)
        server.parse(Self.compressed("repeat:100:a"))
        #expect(server.events == [.message(.text(String(repeating: "a", count: 100)))])
        server.parse(Self.compressed("repeat:101:a"))
        let message = "x-test: message exceeds the maximum length of 100 bytes"
        #expect(server.events.suffix(2) == [.error(message), .close(1009, message)])
        #expect(server.errors.first?.closeCode == .messageTooBig)
        let frames = try #require(server.takeFrames())
        #expect(frames.last == .close(1009, message))
    }

    @Test func driverChecksWhatAnExtensionProduced() throws {
        let server = try Self.serverWithExtension(maxLength: 100)
        server.parse(Self.compressed("grow:101:a"))
        Self.expectTooLarge(server)
    }

    @Test func wireLengthIsStillChecked() throws {
        let server = try Self.serverWithExtension(maxLength: 5)
        server.parse(Self.compressed("repeat:1:a"))
        #expect(server.events.count == 2)
        Self.expectTooLarge(server)
    }
}
