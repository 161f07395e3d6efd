import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// Every combination of the four negotiated options on one end.
private let negotiationOptions: [Options] = {
    var all: [Options] = []
    for noContextTakeover in [false, true] {
        for requestNoContextTakeover in [false, true] {
            for maxWindowBits in [nil, 8, 12] {
                for requestMaxWindowBits in [nil, 8, 12] {
                    all.append(
                        Options(
                            noContextTakeover: noContextTakeover,
                            requestNoContextTakeover: requestNoContextTakeover,
                            maxWindowBits: maxWindowBits,
                            requestMaxWindowBits: requestMaxWindowBits
                        )
                    )
                }
            }
        }
    }
    return all
}()

/// Configurations varying the local options (level, memory level, strategy, threshold) too.
private struct LocalOptions: Sendable, CustomTestStringConvertible {
    var level = -1
    var memoryLevel = PermessageDeflate.defaultMemoryLevel
    var strategy = PermessageDeflate.Strategy.default
    var threshold = PermessageDeflate.defaultCompressionThreshold
    var options = Options()

    func configuration() throws -> PermessageDeflate {
        try PermessageDeflate(
            compressionLevel: level,
            memoryLevel: memoryLevel,
            strategy: strategy,
            noContextTakeover: options.noContextTakeover,
            requestNoContextTakeover: options.requestNoContextTakeover,
            maxWindowBits: options.maxWindowBits,
            requestMaxWindowBits: options.requestMaxWindowBits,
            compressionThreshold: threshold
        )
    }

    var testDescription: String {
        "level \(level), memoryLevel \(memoryLevel), \(strategy), threshold \(threshold), \(options)"
    }
}

private let localOptions: [LocalOptions] = [
    LocalOptions(),
    LocalOptions(threshold: 0),
    LocalOptions(level: 0, threshold: 0),
    LocalOptions(level: 1, memoryLevel: 1, strategy: .huffmanOnly, options: Options(maxWindowBits: 8)),
    LocalOptions(level: 9, memoryLevel: 9, strategy: .filtered, threshold: 1),
    LocalOptions(level: 4, strategy: .fixed, threshold: 0, options: Options(noContextTakeover: true, maxWindowBits: 8)),
    LocalOptions(strategy: .runLength, threshold: 1000, options: Options(requestMaxWindowBits: 9)),
    LocalOptions(
        level: 2,
        memoryLevel: 3,
        options: Options(
            noContextTakeover: true, requestNoContextTakeover: true, maxWindowBits: 10, requestMaxWindowBits: 8)
    ),
]

/// Sends every payload both ways and checks what arrives, the RSV1 bit, the threshold, and that
/// every compressed payload also inflates with a reference inflater limited to the window each
/// side may use.
private func exchange(client: PermessageDeflate, server: PermessageDeflate, payloads: [[UInt8]]) throws {
    let connection = try Connection(client: client, server: server)
    defer { connection.close() }
    #expect(connection.client.extensionNames == ["permessage-deflate"])
    #expect(connection.server.extensionNames == ["permessage-deflate"])

    let response = try DeflateParameters(
        try parameters(
            String((connection.responseHeader ?? "permessage-deflate").dropFirst(18).drop { $0 == ";" || $0 == " " })),
        role: .response
    )
    let clientWindow = min(client.maxWindowBits ?? 15, response.clientMaxWindowBits.value ?? 15)
    let serverWindow = min(server.maxWindowBits ?? 15, response.serverMaxWindowBits ?? 15)
    let clientReference = try ReferenceInflater(windowBits: Int32(clientWindow))
    let serverReference = try ReferenceInflater(windowBits: Int32(serverWindow))

    for (index, payload) in payloads.enumerated() {
        let opcode: Opcode = index.isMultiple(of: 2) ? .binary : .text
        let message = Message(opcode: opcode, payload: payload)
        for (sender, threshold, reference) in [
            (connection.clientSends, client.compressionThreshold, clientReference),
            (connection.serverSends, server.compressionThreshold, serverReference),
        ] {
            let (wire, received) = try sender(message, Int.max)
            #expect(received == message, "message \(index) of \(payload.count) bytes")
            #expect(wire.reservedBits.contains(.rsv1) == (payload.count >= threshold))
            if wire.reservedBits.contains(.rsv1) {
                #expect(reference.inflate(wire.payload) == payload, "message \(index) within the window")
            } else {
                #expect(wire.payload == payload)
            }
        }
    }
}

@Suite("Round trips through negotiated client and server pipelines", .allocatesMemory)
struct RoundTripTests {
    private static let shortPayloads = Payloads.mixed(seed: 0x5EED, messages: 6, maximumSize: 1500)
    private static let longPayloads = Payloads.mixed(seed: 0xF00D, messages: 14, maximumSize: 100_000)

    @Test(
        "Every combination of negotiated options on both ends round-trips (seeded payloads)",
        arguments: negotiationOptions,
        negotiationOptions
    )
    func negotiatedCombinations(client: Options, server: Options) throws {
        var clientConfiguration = try client.configuration()
        var serverConfiguration = try server.configuration()
        // Compress everything, so that every message exercises zlib.
        clientConfiguration = try PermessageDeflate(
            noContextTakeover: clientConfiguration.noContextTakeover,
            requestNoContextTakeover: clientConfiguration.requestNoContextTakeover,
            maxWindowBits: clientConfiguration.maxWindowBits,
            requestMaxWindowBits: clientConfiguration.requestMaxWindowBits,
            compressionThreshold: 0
        )
        serverConfiguration = try PermessageDeflate(
            noContextTakeover: serverConfiguration.noContextTakeover,
            requestNoContextTakeover: serverConfiguration.requestNoContextTakeover,
            maxWindowBits: serverConfiguration.maxWindowBits,
            requestMaxWindowBits: serverConfiguration.requestMaxWindowBits,
            compressionThreshold: 0
        )
        try exchange(client: clientConfiguration, server: serverConfiguration, payloads: Self.shortPayloads)
    }

    @Test(
        "Local options (level, memory level, strategy, threshold) round-trip larger payloads", arguments: localOptions)
    fileprivate func localCombinations(options: LocalOptions) throws {
        let configuration = try options.configuration()
        try exchange(client: configuration, server: configuration, payloads: Self.longPayloads)
        try exchange(client: configuration, server: PermessageDeflate(), payloads: Self.longPayloads)
        try exchange(client: PermessageDeflate(), server: configuration, payloads: Self.longPayloads)
    }

    @Test("A message larger than 4 MiB round-trips and keeps its opcode")
    func largeMessage() throws {
        var generator = SplitMix64(seed: 42)
        let payload =
            Payloads.text(count: 5_000_000, using: &generator) + Payloads.random(count: 300_000, using: &generator)
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        defer { connection.close() }
        let (wire, received) = try connection.clientSends(Message(opcode: .binary, payload: payload))
        #expect(wire.payload.count < payload.count)
        #expect(received == Message(opcode: .binary, payload: payload))
    }
}
