import PermessageDeflate
import Testing
import WebSocketExtensions

/// Runs the profiles of Docs/Guides/Choosing-Deflate-Settings.md on the JSON chat corpus of
/// the measurements (4,000 messages, seed 5), and prints the bytes each profile sends.
@Suite("Guide: choosing deflate settings")
struct DeflateProfilesTests {
    @Test("each profile negotiates what it says, and more memory buys a better ratio")
    func profiles() throws {
        let corpus = Corpus.messages(count: 4000, seed: 5).map { String(decoding: $0, as: UTF8.self) }
        let raw = corpus.reduce(0) { $0 + $1.utf8.count }
        var sizes: [DeflateProfile: Int] = [:]
        for profile in DeflateProfile.allCases {
            let size = try compressedSize(of: corpus, server: profile)
            sizes[profile] = size
            let percent = Double(size * 1000 / raw) / 10
            print("GUIDE deflate profile \(profile): \(raw) bytes -> \(size) bytes (\(percent) %)")
        }
        let best = try #require(sizes[.bestRatio])
        let balanced = try #require(sizes[.balanced])
        let least = try #require(sizes[.leastMemory])
        #expect(best < balanced)
        #expect(balanced < least)
        #expect(least < raw)
    }

    @Test("the response each profile's server sends to the default offer")
    func responses() throws {
        let expected: [DeflateProfile: String] = [
            .bestRatio: "permessage-deflate",
            // The server's own 12-bit limit is used without being announced, as the client did
            // not ask for server_max_window_bits (as in the Ruby gem).
            .balanced: "permessage-deflate; client_max_window_bits=12",
            .leastMemory: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        ]
        for profile in DeflateProfile.allCases {
            var clientExtensions = ExtensionRegistry()
            try clientExtensions.add(PermessageDeflate())
            var serverExtensions = ExtensionRegistry()
            try serverExtensions.add(try profile.serverExtension())
            let negotiation = try clientExtensions.makeClientNegotiation()
            let server = try serverExtensions.negotiateServer(offerHeader: negotiation.offerHeader)
            #expect(server.responseHeader == expected[profile], "\(profile)")
            server.pipeline.close()
            negotiation.cancel()
        }
    }
}
