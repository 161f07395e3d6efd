import FayeTestSupport
import Testing
import WebSocketDriver
import WebSocketExtensions

@testable import PermessageDeflate

/// permessage-deflate through real drivers: a client and a server `Driver` talking in memory,
/// the bytes split into random chunks.
@Suite("Through the driver", .allocatesMemory) struct DriverEndToEndTests {
    /// A client and a server driver wired to each other through byte queues.
    final class Pair {
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        var serverReceived: [WebSocketMessage] = []
        var clientReceived: [WebSocketMessage] = []
        var clientCloses: [CloseEvent] = []
        var serverErrors: [ProtocolError] = []
        var clientErrors: [ProtocolError] = []
        let server: Driver
        let client: Driver
        var generator: SplitMix64

        init(
            client clientExtension: PermessageDeflate, server serverExtension: PermessageDeflate, seed: UInt64,
            maxLength: Int = DriverOptions.defaultMaxLength
        ) throws {
            generator = SplitMix64(seed: seed)
            var serverOptions = DriverOptions()
            try serverOptions.extensions.add(serverExtension)
            serverOptions.maxLength = maxLength
            var clientOptions = DriverOptions()
            try clientOptions.extensions.add(clientExtension)
            var toServer: (UnsafeRawBufferPointer) -> Void = { _ in }
            var toClient: (UnsafeRawBufferPointer) -> Void = { _ in }
            server = Driver.server(options: serverOptions) { toClient($0) }
            client = try Driver.client(url: "ws://example.com/", options: clientOptions) { toServer($0) }
            toServer = { [unowned self] in self.toServer.append(contentsOf: $0) }
            toClient = { [unowned self] in self.toClient.append(contentsOf: $0) }
            server.onConnect = { [unowned self] _ in self.server.start() }
            server.onMessage = { [unowned self] in self.serverReceived.append($0) }
            client.onMessage = { [unowned self] in self.clientReceived.append($0) }
            client.onClose = { [unowned self] in self.clientCloses.append($0) }
            server.onError = { [unowned self] in self.serverErrors.append($0) }
            client.onError = { [unowned self] in self.clientErrors.append($0) }
            client.start()
            pump()
        }

        /// Delivers everything queued, in random chunks, until both queues are empty.
        func pump() {
            while !toServer.isEmpty || !toClient.isEmpty {
                let forServer = toServer
                toServer = []
                deliver(forServer, to: server)
                let forClient = toClient
                toClient = []
                deliver(forClient, to: client)
            }
        }

        private func deliver(_ bytes: [UInt8], to driver: Driver) {
            var index = 0
            while index < bytes.count {
                let size = min(bytes.count - index, Int.random(in: 1...4096, using: &generator))
                driver.parse(bytes[index..<(index + size)])
                index += size
            }
        }
    }

    static let configurations: [(String, PermessageDeflate, PermessageDeflate)] = {
        func make(_ body: () throws -> PermessageDeflate) -> PermessageDeflate {
            (try? body()) ?? PermessageDeflate()
        }
        return [
            ("defaults", PermessageDeflate(), PermessageDeflate()),
            (
                "client no context takeover",
                make { try PermessageDeflate(noContextTakeover: true) }, PermessageDeflate()
            ),
            (
                "server asked for no context takeover",
                make { try PermessageDeflate(requestNoContextTakeover: true) }, PermessageDeflate()
            ),
            (
                "server window 9",
                make { try PermessageDeflate(requestMaxWindowBits: 9) }, PermessageDeflate()
            ),
            (
                "server limits client window to 8",
                PermessageDeflate(), make { try PermessageDeflate(requestMaxWindowBits: 8, compressionThreshold: 0) }
            ),
            (
                "client window 10, both without takeover, level 9",
                make { try PermessageDeflate(compressionLevel: 9, noContextTakeover: true, maxWindowBits: 10) },
                make { try PermessageDeflate(noContextTakeover: true, compressionThreshold: 0) }
            ),
            (
                "huffman only, memory level 1",
                make { try PermessageDeflate(memoryLevel: 1, strategy: .huffmanOnly) },
                make { try PermessageDeflate(memoryLevel: 1, strategy: .runLength) }
            ),
        ]
    }()

    @Test("random messages round-trip in both directions", arguments: 0..<configurations.count)
    func roundTrip(index: Int) throws {
        let (_, clientExtension, serverExtension) = Self.configurations[index]
        let pair = try Pair(client: clientExtension, server: serverExtension, seed: UInt64(index) + 11)
        #expect(pair.client.readyState == .open)
        #expect(pair.client.extensions == ["permessage-deflate"])
        #expect(pair.server.extensions == ["permessage-deflate"])
        var sent: [WebSocketMessage] = []
        var generator = SplitMix64(seed: UInt64(index) * 7 + 3)
        for round in 0..<60 {
            let size = [0, 1, 31, 32, 200, 5000, 70_000][round % 7]
            let message: WebSocketMessage
            if round % 3 == 0 {
                message = .binary(Payloads.random(count: size, using: &generator))
            } else {
                message = .text(String(decoding: Payloads.text(count: size, using: &generator), as: UTF8.self))
            }
            sent.append(message)
            pair.client.send(message)
            pair.server.send(message)
            if round % 5 == 0 { pair.pump() }
        }
        pair.pump()
        #expect(pair.serverReceived == sent)
        #expect(pair.clientReceived == sent)
        #expect(pair.serverErrors.isEmpty)
        #expect(pair.clientErrors.isEmpty)
    }

    @Test("compression is real: a repetitive message crosses the wire much smaller")
    func compressesOnTheWire() throws {
        let pair = try Pair(client: PermessageDeflate(), server: PermessageDeflate(), seed: 5)
        pair.client.text(String(repeating: "all work and no play ", count: 1000))
        let wireSize = pair.toServer.count
        #expect(wireSize < 500)
        #expect(pair.toServer.first.map { $0 & 0x40 } == 0x40)
        pair.pump()
        #expect(pair.serverReceived == [.text(String(repeating: "all work and no play ", count: 1000))])
    }

    @Test("an inflated message over maxLength closes with 1009, not an allocation")
    func bombThroughTheDriver() throws {
        let pair = try Pair(client: PermessageDeflate(), server: PermessageDeflate(), seed: 9, maxLength: 64 * 1024)
        pair.client.binary([UInt8](repeating: 0, count: 1024 * 1024))
        #expect(pair.toServer.count < 64 * 1024)
        pair.pump()
        #expect(pair.serverReceived.isEmpty)
        #expect(pair.serverErrors.map(\.closeCode) == [.messageTooBig])
        #expect(pair.clientCloses.map(\.code) == [.messageTooBig])
    }

    @Test("empty messages in every direction and mode")
    func emptyMessages() throws {
        for (_, clientExtension, serverExtension) in Self.configurations {
            let pair = try Pair(client: clientExtension, server: serverExtension, seed: 1)
            for _ in 0..<3 {
                pair.client.text("")
                pair.client.binary([])
                pair.server.text("")
                pair.client.text("after")
            }
            pair.pump()
            #expect(
                pair.serverReceived
                    == Array(repeating: [.text(""), .binary([]), .text("after")], count: 3).flatMap { $0 })
            #expect(pair.clientReceived == [.text(""), .text(""), .text("")])
        }
    }
}
