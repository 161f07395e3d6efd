import ClientAddress
import Testing

/// Seeded random inputs: the parsers must not trap, must agree with themselves under every
/// chunking, and what they print must parse back. (The libFuzzer targets go further.)
@Suite("Robustness under seeded random input")
struct RobustnessTests {
    @Test("random addresses print canonically and parse back")
    func addressRoundTrip() throws {
        var generator = SplitMix(seed: 7)
        for round in 0..<2000 {
            var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Plenty of zero runs, the interesting part of RFC 5952.
            for index in bytes.indices where generator.below(3) == 0 { bytes[index] = 0 }
            if round % 5 == 0 { bytes.replaceSubrange(0..<12, with: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) }
            let address = try #require(IPAddress(bytes: bytes))
            let text = address.description
            #expect(IPAddress(text) == address, "\(bytes) → \(text)")
            #expect(text == text.lowercased())
            let doubleColons = zip(text.utf8, text.utf8.dropFirst()).filter { $0 == 0x3A && $1 == 0x3A }.count
            #expect(doubleColons <= 1, "\(text)")
            if !address.isIPv4Mapped {
                for group in text.split(separator: ":") {
                    #expect(group.count <= 4 && (group == "0" || !group.hasPrefix("0")), "\(text)")
                }
            }
            let v4 = try #require(IPAddress(bytes: bytes.prefix(4)))
            #expect(IPAddress(v4.description) == v4)
        }
    }

    @Test("random text never traps the address and range parsers")
    func addressText() throws {
        var generator = SplitMix(seed: 11)
        let alphabet = Array("0123456789abcdefABCDEF:.%/[] x")
        for _ in 0..<5000 {
            let length = generator.below(24)
            let text = String((0..<length).map { _ in alphabet[generator.below(alphabet.count)] })
            if let address = IPAddress(text) {
                #expect(IPAddress(address.description) == address, "\(text)")
            }
            if let range = try? AddressRange(parsing: text) {
                #expect(try AddressRange(parsing: range.description) == range, "\(text)")
                #expect(range.contains(range.address))
            }
        }
    }

    @Test("mutated PROXY headers give the same outcome under every chunking")
    func proxyMutations() {
        var generator = SplitMix(seed: 23)
        var v2 = V2Builder.tcp6(
            [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 12), [UInt8](repeating: 0, count: 15) + [1], 1, 2)
        v2.addTLV(0x02, Array("example.com".utf8))
        let seeds: [[UInt8]] = [
            v1("PROXY TCP4 192.0.2.1 198.51.100.2 51234 443"),
            v1("PROXY TCP6 2001:db8::1 ::1 1 65535"),
            v1("PROXY UNKNOWN"),
            V2Builder.tcp4([192, 0, 2, 1], [198, 51, 100, 2], 1, 2).bytes,
            v2.bytes,
            v2.bytesWithChecksum,
        ]
        for round in 0..<400 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + generator.below(3)) {
                switch generator.below(4) {
                case 0: bytes[generator.below(bytes.count)] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: generator.below(bytes.count + 1))
                case 2 where bytes.count > 1: bytes.remove(at: generator.below(bytes.count))
                default: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
            switch parseProxyEveryWay(bytes) {
            case .header(let header, let length):
                #expect(length <= bytes.count)
                #expect(header.source == nil || !header.isLocal)
                #expect((header.source == nil) == (header.destination == nil))
                if header.version == .v1 { #expect(length <= 107) } else { #expect(length <= 1024) }
            case .needMoreData, .error:
                break
            }
        }
    }

    @Test("random bytes never trap the PROXY parser")
    func proxyRandom() {
        var generator = SplitMix(seed: 31)
        for round in 0..<2000 {
            var bytes = (0..<generator.below(64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Start most of them right, so the random part reaches the decoders.
            if round % 2 == 0 { bytes = V2Builder.signature + bytes }
            if round % 4 == 1 { bytes = Array("PROXY TCP4 ".utf8) + bytes }
            let whole = runProxyParser([bytes[...]])
            let bytewise = runProxyParser(bytes.map { [$0][...] })
            #expect(whole == bytewise)
        }
    }

    @Test("mutated Forwarded fields never trap, and what parses prints back the same")
    func forwardedMutations() {
        var generator = SplitMix(seed: 43)
        let seeds = [
            #"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711";host="example.com:443""#,
            #"for=unknown;by="_SEVKISEK:_4711", for=_gazonk;ext="a\"b,c""#,
        ]
        let alphabet = Array(#"=;,"\[]:_ .9aF"#.utf8)
        let resolver = ForwardedIdentityResolver(trustedProxies: TrustedProxies([AddressRange(.ipv4(10, 0, 0, 1))]))
        for round in 0..<3000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<(1 + generator.below(3)) {
                let byte = alphabet[generator.below(alphabet.count)]
                switch generator.below(3) {
                case 0: bytes[generator.below(bytes.count)] = byte
                case 1: bytes.insert(byte, at: generator.below(bytes.count + 1))
                default: if bytes.count > 1 { bytes.remove(at: generator.below(bytes.count)) }
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let header = ForwardedHeader(validating: text) {
                let printed = ForwardedHeader(elements: header.elements.filter { !$0.isEmpty })
                #expect(ForwardedHeader(validating: header.description) == printed, "\(text)")
            }
            let identity = resolver.resolve(peer: .ipv4(10, 0, 0, 1), headers: [(name: "Forwarded", value: text)])
            if identity.source == .connection { #expect(identity.address == .ipv4(10, 0, 0, 1)) }
            let xff = resolver.resolve(peer: .ipv4(10, 0, 0, 1), headers: [(name: "X-Forwarded-For", value: text)])
            if xff.source == .connection { #expect(xff.address == .ipv4(10, 0, 0, 1)) }
        }
    }
}
