import Testing
import WebSocketExtensions

@testable import PermessageDeflate

@Suite("Configuration")
struct ConfigurationTests {
    @Test("The extension is permessage-deflate on RSV1, per-message")
    func identity() {
        let deflate = PermessageDeflate()
        #expect(deflate.name == "permessage-deflate")
        #expect(deflate.reservedBits == .rsv1)
        #expect(deflate.type == .perMessage)
    }

    @Test("The defaults: level -1, memory level 5, default strategy, no limits, takeover, threshold")
    func defaults() throws {
        let deflate = PermessageDeflate()
        #expect(deflate.compressionLevel == -1)
        #expect(deflate.memoryLevel == 5)
        #expect(deflate.strategy == .default)
        #expect(!deflate.noContextTakeover)
        #expect(!deflate.requestNoContextTakeover)
        #expect(deflate.maxWindowBits == nil)
        #expect(deflate.requestMaxWindowBits == nil)
        #expect(deflate.compressionThreshold == PermessageDeflate.defaultCompressionThreshold)
        let explicit = try PermessageDeflate(compressionLevel: -1)
        #expect(explicit.compressionThreshold == deflate.compressionThreshold)
    }

    @Test("Every valid value is accepted", arguments: [8, 9, 12, 15])
    func validValues(bits: Int) throws {
        for level in -1...9 {
            _ = try PermessageDeflate(compressionLevel: level)
        }
        for memoryLevel in 1...9 {
            _ = try PermessageDeflate(memoryLevel: memoryLevel)
        }
        for strategy in PermessageDeflate.Strategy.allCases {
            #expect(try PermessageDeflate(strategy: strategy).strategy == strategy)
        }
        let deflate = try PermessageDeflate(
            noContextTakeover: true,
            requestNoContextTakeover: true,
            maxWindowBits: bits,
            requestMaxWindowBits: bits,
            compressionThreshold: 0
        )
        #expect(deflate.maxWindowBits == bits)
        #expect(deflate.requestMaxWindowBits == bits)
        #expect(deflate.noContextTakeover && deflate.requestNoContextTakeover)
        #expect(deflate.compressionThreshold == 0)
    }

    @Test("compressionLevel outside -1...9 is rejected", arguments: [-2, 10, Int.min, Int.max])
    func invalidLevel(level: Int) {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidCompressionLevel(level)) {
            try PermessageDeflate(compressionLevel: level)
        }
    }

    @Test("memoryLevel outside 1...9 is rejected", arguments: [0, -1, 10])
    func invalidMemoryLevel(level: Int) {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidMemoryLevel(level)) {
            try PermessageDeflate(memoryLevel: level)
        }
    }

    @Test(
        "maxWindowBits outside 8...15 is rejected (the Ruby gem only noticed in the offer)", arguments: [0, 7, 16, 20])
    func invalidMaxWindowBits(bits: Int) {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidMaxWindowBits(bits)) {
            try PermessageDeflate(maxWindowBits: bits)
        }
    }

    @Test("requestMaxWindowBits outside 8...15 is rejected", arguments: [0, 7, 16, 20])
    func invalidRequestMaxWindowBits(bits: Int) {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidRequestMaxWindowBits(bits)) {
            try PermessageDeflate(requestMaxWindowBits: bits)
        }
    }

    @Test("A negative compressionThreshold is rejected")
    func invalidThreshold() {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidCompressionThreshold(-1)) {
            try PermessageDeflate(compressionThreshold: -1)
        }
    }

    @Test("The first invalid value is the one reported")
    func firstInvalidReported() {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidCompressionLevel(12)) {
            try PermessageDeflate(compressionLevel: 12, memoryLevel: 0, maxWindowBits: 3)
        }
    }

    @Test("Error descriptions name the option, the value and the allowed range")
    func descriptions() {
        typealias Failure = PermessageDeflate.ConfigurationError
        #expect(
            Failure.invalidMaxWindowBits(20).description
                == "Invalid permessage-deflate maxWindowBits 20: expected 8...15"
        )
        #expect(
            Failure.invalidRequestMaxWindowBits(7).description
                == "Invalid permessage-deflate requestMaxWindowBits 7: expected 8...15"
        )
        #expect(Failure.invalidCompressionLevel(10).description.contains("-1 (zlib's default) or 0...9"))
        #expect(Failure.invalidMemoryLevel(0).description.contains("1...9"))
        #expect(Failure.invalidCompressionThreshold(-5).description.contains("-5"))
    }

    @Test("The extension registers in an ExtensionRegistry, once")
    func registers() throws {
        var registry = ExtensionRegistry()
        try registry.add(PermessageDeflate())
        #expect(registry.extensions.map(\.name) == ["permessage-deflate"])
        #expect(throws: ExtensionRegistryError.duplicateName("permessage-deflate")) {
            try registry.add(try PermessageDeflate(maxWindowBits: 10))
        }
    }

    @Test("Strategies map to zlib's constants and describe themselves")
    func strategies() {
        #expect(PermessageDeflate.Strategy.allCases.map(\.zlibValue) == [0, 1, 2, 3, 4])
        #expect(PermessageDeflate.Strategy.runLength.description == "runLength")
        #expect(PermessageDeflate.Strategy.runLength.keepsMatchesWithinOneByte)
        #expect(PermessageDeflate.Strategy.huffmanOnly.keepsMatchesWithinOneByte)
        #expect(!PermessageDeflate.Strategy.default.keepsMatchesWithinOneByte)
    }
}
