import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// A client and a server driver talking in memory: whatever way the bytes are cut into reads,
/// every message arrives intact and the events are the same as with whole writes.
@Suite struct ChunkingPropertyTests {
    /// Something one side sends.
    enum Outgoing {
        case text(String)
        case binary([UInt8])
        /// A message streamed with `sendFrame`: opcode, the fragments' payloads, and whether a
        /// ping goes out between the first two fragments.
        case fragmented(Opcode, [[UInt8]], pingBetween: Bool)

        var expected: WebSocketMessage {
            switch self {
            case .text(let text): return .text(text)
            case .binary(let bytes): return .binary(bytes)
            case .fragmented(let opcode, let parts, _):
                let bytes = parts.flatMap { $0 }
                return opcode == .text ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(bytes)
            }
        }

        func send(on driver: Driver) {
            switch self {
            case .text(let text): #expect(driver.text(text))
            case .binary(let bytes): #expect(driver.binary(bytes))
            case .fragmented(let opcode, let parts, let pingBetween):
                for (index, part) in parts.enumerated() {
                    let frame = Frame(
                        isFinal: index == parts.count - 1, opcode: index == 0 ? opcode : .continuation, payload: part)
                    #expect(driver.sendFrame(frame))
                    if index == 0 && pingBetween { #expect(driver.ping(Bytes.text("between"))) }
                }
            }
        }
    }

    /// A random payload size: empty, 7-bit, 16-bit or 64-bit length form (up to 200 KiB when
    /// `large`).
    static func size(_ random: inout SplitMix64, large: Bool) -> Int {
        switch random.int(0...9) {
        case 0: return 0
        case 1...5: return random.int(1...125)
        case 6...8: return random.int(126...(large ? 65535 : 2000))
        default: return large ? random.int(65536...204_800) : random.int(126...3000)
        }
    }

    /// Cuts `bytes` at random places into 1 to 4 parts (possibly inside a character).
    static func split(_ bytes: [UInt8], _ random: inout SplitMix64) -> [[UInt8]] {
        var cuts = (0..<random.int(0...3)).map { _ in random.int(0...bytes.count) }
        cuts.sort()
        var parts: [[UInt8]] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            parts.append(Array(bytes[start..<cut]))
            start = cut
        }
        return parts
    }

    static func randomMessages(count: Int, seed: UInt64, large: Bool) -> [Outgoing] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let size = Self.size(&random, large: large)
            switch random.int(0...3) {
            case 0: return .text(random.text(byteCount: size))
            case 1: return .binary(random.bytes(size))
            case 2:
                return .fragmented(
                    .text, split(Array(random.text(byteCount: size).utf8), &random), pingBetween: random.int(0...1) == 0
                )
            default:
                return .fragmented(.binary, split(random.bytes(size), &random), pingBetween: random.int(0...1) == 0)
            }
        }
    }

    /// Runs a conversation: the client sends `toServer`, the server `toClient`, then the client
    /// closes. Returns both sides' events.
    static func converse(
        toServer: [Outgoing],
        toClient: [Outgoing],
        maxChunk: Int,
        seed: UInt64
    ) throws -> (client: [DriverHarness.Event], server: [DriverHarness.Event]) {
        let link = try Loopback(seed: seed, maxChunk: maxChunk)
        link.open()
        for (index, message) in toServer.enumerated() {
            message.send(on: link.client.driver)
            if index % 3 == 0 { link.pump() }
            if index < toClient.count { toClient[index].send(on: link.server.driver) }
        }
        for message in toClient.dropFirst(toServer.count) { message.send(on: link.server.driver) }
        link.pump()
        link.client.driver.close(code: CloseCode(4000), reason: "done")
        link.pump()
        return (link.client.events, link.server.events)
    }

    static func expectDelivered(
        _ sent: [Outgoing],
        in events: [DriverHarness.Event],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let received = events.compactMap { event -> WebSocketMessage? in
            if case .message(let message) = event { return message }
            return nil
        }
        #expect(received.count == sent.count, sourceLocation: sourceLocation)
        for (index, (got, message)) in zip(received, sent).enumerated() where got != message.expected {
            Issue.record("message \(index) differs", sourceLocation: sourceLocation)
            break
        }
        let pings = sent.filter { if case .fragmented(_, _, true) = $0 { true } else { false } }.count
        #expect(events.filter { $0 == .ping(Bytes.text("between")) }.count == pings, sourceLocation: sourceLocation)
        #expect(events.last == .close(4000, "done"), sourceLocation: sourceLocation)
        #expect(!events.contains { if case .error = $0 { true } else { false } }, sourceLocation: sourceLocation)
    }

    @Test func scriptedConversationIsTheSameHoweverItIsCut() throws {
        let toServer: [Outgoing] = [
            .text("Hello"), .text(""), .binary([]), .text("Apple = \u{F8FF} 😀 𝄞 é"),
            .binary((0..<300).map { UInt8($0 & 0xFF) }), .text(String(repeating: "€", count: 50)),
            .fragmented(
                .text, [Bytes.text("Hel"), Bytes.text("lo "), [0xF0, 0x9F], [0x98, 0x80]], pingBetween: true),
            .fragmented(.binary, [[], [1], [], [2, 3]], pingBetween: false),
        ]
        let toClient: [Outgoing] = toServer.reversed()
        let whole = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: .max, seed: 1)
        Self.expectDelivered(toServer, in: whole.server)
        Self.expectDelivered(toClient, in: whole.client)
        #expect(whole.server.first == .connect("/chat"))
        #expect(whole.client.first == .open)
        for maxChunk in [1, 2, 3, 7, 64] {
            for seed: UInt64 in [1, 2] {
                let cut = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: maxChunk, seed: seed)
                #expect(cut.client == whole.client, "maxChunk \(maxChunk)")
                #expect(cut.server == whole.server, "maxChunk \(maxChunk)")
            }
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func smallMessagesByteByByte(seed: UInt64) throws {
        let toServer = Self.randomMessages(count: 12, seed: seed, large: false)
        let toClient = Self.randomMessages(count: 12, seed: seed + 100, large: false)
        let whole = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: .max, seed: seed)
        let bytewise = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: 1, seed: seed)
        Self.expectDelivered(toServer, in: bytewise.server)
        Self.expectDelivered(toClient, in: bytewise.client)
        #expect(bytewise.client == whole.client)
        #expect(bytewise.server == whole.server)
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64]) func randomMessagesRandomChunks(seed: UInt64) throws {
        let toServer = Self.randomMessages(count: 10, seed: seed, large: true)
        let toClient = Self.randomMessages(count: 10, seed: seed + 100, large: true)
        let whole = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: .max, seed: seed)
        Self.expectDelivered(toServer, in: whole.server)
        Self.expectDelivered(toClient, in: whole.client)
        for maxChunk in [17, 1500, 70_000] {
            let cut = try Self.converse(toServer: toServer, toClient: toClient, maxChunk: maxChunk, seed: seed)
            #expect(cut.client == whole.client, "maxChunk \(maxChunk)")
            #expect(cut.server == whole.server, "maxChunk \(maxChunk)")
        }
    }

    @Test func handshakeAloneByteByByte() throws {
        let link = try Loopback(maxChunk: 1)
        link.client.driver.text("queued")
        link.open()
        #expect(link.client.events == [.open])
        #expect(link.server.events == [.connect("/chat"), .open, .message(.text("queued"))])
        #expect(link.client.driver.readyState == .open)
        #expect(link.server.driver.readyState == .open)
    }

    @Test func subprotocolAndExtensionNegotiatedBetweenDrivers() throws {
        let clientLog = ExtensionLog()
        let serverLog = ExtensionLog()
        var clientOptions = DriverOptions()
        clientOptions.protocols = ["v2", "v1"]
        try clientOptions.extensions.add(TestExtension(log: clientLog))
        var serverOptions = DriverOptions()
        serverOptions.protocols = ["v1", "v2"]
        try serverOptions.extensions.add(TestExtension(log: serverLog))
        let link = try Loopback(clientOptions: clientOptions, serverOptions: serverOptions, maxChunk: 3)
        link.open()
        // The client's order wins.
        #expect(link.client.driver.protocol == "v2")
        #expect(link.server.driver.protocol == "v2")
        #expect(link.client.driver.extensions == ["x-test"])
        #expect(link.server.driver.extensions == ["x-test"])
        link.client.driver.text("through the extension é")
        link.server.driver.binary([1, 2, 3])
        link.pump()
        #expect(link.server.messages == [.text("through the extension é")])
        #expect(link.client.messages == [.binary([1, 2, 3])])
        #expect(clientLog.entries == ["x-test activate", "x-test out", "x-test in"])
        #expect(serverLog.entries == ["x-test out", "x-test in"])
        link.server.driver.close()
        link.pump()
        #expect(clientLog.entries.last == "x-test close")
        #expect(serverLog.entries.last == "x-test close")
    }
}
