import ClientAddress
import Testing

@Suite("PROXY protocol version 2, byte-exact, under every chunking")
struct ProxyHeaderV2Tests {
    static let client: [UInt8] = [192, 0, 2, 1]
    static let server: [UInt8] = [198, 51, 100, 2]
    static let client6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
    static let server6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]

    @Test("PROXY over TCP/IPv4, exactly 28 bytes")
    func tcp4() {
        let bytes = V2Builder.tcp4(Self.client, Self.server, 51234, 443).bytes
        #expect(bytes.count == 28)
        #expect(
            bytes == [
                0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C,
                192, 0, 2, 1, 198, 51, 100, 2, 0xC8, 0x22, 0x01, 0xBB,
            ])
        let expected = ProxyHeader(
            version: .v2, source: endpoint("192.0.2.1", 51234), destination: endpoint("198.51.100.2", 443))
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: 28))
    }

    @Test("PROXY over TCP/IPv6, exactly 52 bytes")
    func tcp6() {
        let bytes = V2Builder.tcp6(Self.client6, Self.server6, 1, 65535).bytes
        #expect(bytes.count == 52)
        let expected = ProxyHeader(
            version: .v2, source: endpoint("2001:db8::1", 1), destination: endpoint("2001:db8::2", 65535))
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: 52))
    }

    @Test("LOCAL keeps the connection's endpoints, whatever the family and the length say")
    func local() {
        var local = V2Builder(versionAndCommand: 0x20, familyAndTransport: 0x00)
        #expect(parseProxyEveryWay(local.bytes) == .header(ProxyHeader(version: .v2, isLocal: true), length: 16))
        local = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        local.versionAndCommand = 0x20
        #expect(parseProxyEveryWay(local.bytes) == .header(ProxyHeader(version: .v2, isLocal: true), length: 28))
        local.familyAndTransport = 0xFF  // ignored for LOCAL
        local.addresses = [1, 2, 3]
        #expect(parseProxyEveryWay(local.bytes) == .header(ProxyHeader(version: .v2, isLocal: true), length: 19))
    }

    @Test(
        "UDP, UNIX sockets and unspecified families give unknown addresses",
        arguments: [
            (UInt8(0x12), 12), (0x22, 36), (0x31, 216), (0x32, 216), (0x00, 0), (0x00, 7), (0x10, 0), (0x01, 3),
            (0x02, 0), (0x20, 40), (0x30, 0),
        ] as [(UInt8, Int)])
    func unknownAddresses(familyAndTransport: UInt8, addressLength: Int) {
        let builder = V2Builder(
            familyAndTransport: familyAndTransport, addresses: [UInt8](repeating: 0xAB, count: addressLength))
        let bytes = builder.bytes
        #expect(parseProxyEveryWay(bytes) == .header(ProxyHeader(version: .v2), length: bytes.count))
    }

    @Test("TLVs after the addresses are returned; they must fill the header exactly")
    func tlvs() {
        var builder = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        builder.addTLV(0x02, Array("example.com".utf8))
        builder.addTLV(0x04, [])
        builder.addTLV(0xE0, [UInt8](repeating: 7, count: 300))
        let bytes = builder.bytes
        let expected = ProxyHeader(
            version: .v2, source: endpoint("192.0.2.1", 1), destination: endpoint("198.51.100.2", 2),
            tlvs: [
                .init(type: 0x02, value: Array("example.com".utf8)), .init(type: 0x04, value: []),
                .init(type: 0xE0, value: [UInt8](repeating: 7, count: 300)),
            ])
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: bytes.count))

        var udp = V2Builder(familyAndTransport: 0x12, addresses: [UInt8](repeating: 0, count: 12))
        udp.addTLV(0x05, [9])
        #expect(
            parseProxyEveryWay(udp.bytes)
                == .header(ProxyHeader(version: .v2, tlvs: [.init(type: 0x05, value: [9])]), length: udp.bytes.count))

        for cut in 1...3 {
            var truncated = V2Builder.tcp4(Self.client, Self.server, 1, 2)
            truncated.addTLV(0x02, [1, 2])
            truncated.tlvs.removeLast(cut)
            #expect(parseProxyEveryWay(truncated.bytes) == .error(.malformedV2(.truncatedTLV)), "cut \(cut)")
        }
        var overlong = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        overlong.tlvs = [0x02, 0x00, 0x05, 1, 2, 3, 4]
        #expect(parseProxyEveryWay(overlong.bytes) == .error(.malformedV2(.truncatedTLV)))
        var stub = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        stub.tlvs = [0x02, 0x00]
        #expect(parseProxyEveryWay(stub.bytes) == .error(.malformedV2(.truncatedTLV)))
    }

    @Test("a CRC32C TLV is verified")
    func checksum() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283, "the test's own CRC-32C")
        let builder = V2Builder.tcp6(Self.client6, Self.server6, 80, 8080)
        var bytes = builder.bytesWithChecksum
        let outcome = parseProxyEveryWay(bytes)
        guard case .header(let header, let length) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(length == 52 + 7)
        #expect(header.source == endpoint("2001:db8::1", 80))
        #expect(header.tlvs.map(\.type) == [0x03])
        bytes[20] ^= 1
        #expect(parseProxyEveryWay(bytes) == .error(.malformedV2(.checksumMismatch)))
        var wrongSize = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        wrongSize.addTLV(0x03, [0, 0, 0])
        #expect(parseProxyEveryWay(wrongSize.bytes) == .error(.malformedV2(.invalidChecksumLength)))
    }

    @Test("a length too small for the family's addresses is refused")
    func truncatedAddresses() {
        var builder = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        builder.addresses.removeLast()
        #expect(
            parseProxyEveryWay(builder.bytes) == .error(.malformedV2(.addressesTruncated(required: 12, length: 11))))
        var v6 = V2Builder.tcp6(Self.client6, Self.server6, 1, 2)
        v6.addresses = Array(v6.addresses.prefix(12))
        #expect(parseProxyEveryWay(v6.bytes) == .error(.malformedV2(.addressesTruncated(required: 36, length: 12))))
        let unix = V2Builder(familyAndTransport: 0x31, addresses: [UInt8](repeating: 0, count: 215))
        #expect(parseProxyEveryWay(unix.bytes) == .error(.malformedV2(.addressesTruncated(required: 216, length: 215))))
    }

    @Test("version, command and family are checked as soon as the fixed part arrives")
    func fixedPart() {
        func header(_ versionAndCommand: UInt8, _ familyAndTransport: UInt8) -> [UInt8] {
            // Only the fixed part: the errors must not wait for the announced 12 bytes.
            Array(
                V2Builder(
                    versionAndCommand: versionAndCommand, familyAndTransport: familyAndTransport, lengthOverride: 12
                ).bytes)
        }
        #expect(parseProxyEveryWay(header(0x11, 0x11)) == .error(.unsupportedVersion(1)))
        #expect(parseProxyEveryWay(header(0x31, 0x11)) == .error(.unsupportedVersion(3)))
        #expect(parseProxyEveryWay(header(0x01, 0x11)) == .error(.unsupportedVersion(0)))
        #expect(parseProxyEveryWay(header(0x22, 0x11)) == .error(.unsupportedCommand(2)))
        #expect(parseProxyEveryWay(header(0x2F, 0x11)) == .error(.unsupportedCommand(15)))
        #expect(parseProxyEveryWay(header(0x21, 0x41)) == .error(.unsupportedFamily(0x41)))
        #expect(parseProxyEveryWay(header(0x21, 0x13)) == .error(.unsupportedFamily(0x13)))
        #expect(parseProxyEveryWay(header(0x21, 0xFF)) == .error(.unsupportedFamily(0xFF)))
        #expect(parseProxyEveryWay(header(0x21, 0x11)) == .needMoreData)
        #expect(ProxyHeaderError.unsupportedFamily(0x03).description.hasSuffix("0x03"))
        #expect(ProxyHeaderError.unsupportedFamily(0x41).description.hasSuffix("0x41"))
    }

    @Test("the length bound: 1024 bytes by default, refused as soon as the length field arrives")
    func lengthBound() {
        var builder = V2Builder.tcp4(Self.client, Self.server, 1, 2)
        builder.addTLV(0xE0, [UInt8](repeating: 0, count: 1024 - 28 - 3))
        #expect(builder.bytes.count == 1024)
        guard case .header = parseProxyEveryWay(builder.bytes) else {
            Issue.record("a 1024-byte header is accepted")
            return
        }
        builder.tlvs.append(0)
        builder.tlvs[2] += 1
        #expect(parseProxyEveryWay(builder.bytes) == .error(.tooLong(limit: 1024)))
        let announced = V2Builder(lengthOverride: 0xFFFF).bytes
        #expect(announced.count == 16)
        #expect(parseProxyEveryWay(announced) == .error(.tooLong(limit: 1024)))
        #expect(parseProxyEveryWay(announced, maxV2Length: 16 + 0xFFFF) == .needMoreData)
        #expect(
            parseProxyEveryWay(V2Builder.tcp4(Self.client, Self.server, 1, 2).bytes, maxV2Length: 27)
                == .error(.tooLong(limit: 27)))
        #expect(ProxyHeaderParser(maxV2Length: 0).maxV2Length == 16)
        #expect(ProxyHeaderParser(maxV2Length: 1 << 30).maxV2Length == 65551)
        #expect(ProxyHeaderParser().maxV2Length == 1024)
    }

    @Test("an incomplete header waits; the signature's bytes are checked one by one")
    func incomplete() {
        let bytes = V2Builder.tcp4(Self.client, Self.server, 1, 2).bytes
        for length in 0..<bytes.count {
            #expect(runProxyParser([bytes[..<length]]) == .needMoreData, "\(length) bytes")
        }
        for index in 1..<12 {
            var wrong = bytes
            wrong[index] ^= 0x40
            #expect(runProxyParser([wrong[...index]]) == .error(.notAProxyHeader), "byte \(index)")
        }
    }

    @Test("error messages say what is wrong")
    func messages() {
        #expect(
            ProxyHeaderError.malformedV2(.addressesTruncated(required: 12, length: 4)).description
                == "Malformed PROXY protocol v2 header: the addresses need 12 bytes but the header has 4")
        #expect(ProxyHeaderError.unsupportedVersion(1).description.contains("version 1"))
        #expect(ProxyHeaderError.unsupportedCommand(5).description.contains("command 5"))
        for problem in [ProxyHeaderError.MalformedV2.truncatedTLV, .invalidChecksumLength, .checksumMismatch] {
            #expect(ProxyHeaderError.malformedV2(problem).description.hasPrefix("Malformed PROXY protocol v2 header: "))
        }
    }
}
