import ClientAddress
import Testing

@Suite("PROXY protocol version 1, under every chunking")
struct ProxyHeaderV1Tests {
    @Test("TCP4 gives both endpoints")
    func tcp4() {
        let bytes = v1("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443")
        let expected = ProxyHeader(
            version: .v1, source: endpoint("192.168.0.1", 56324), destination: endpoint("192.168.0.11", 443))
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: bytes.count))
        #expect(expected.hasAddresses && !expected.isLocal && expected.tlvs.isEmpty)
    }

    @Test("TCP6 gives both endpoints, in any IPv6 text form")
    func tcp6() {
        let bytes = v1("PROXY TCP6 2001:db8::1 2001:DB8:0:0:0:0:0:2 65535 0")
        let expected = ProxyHeader(
            version: .v1, source: endpoint("2001:db8::1", 65535), destination: endpoint("2001:db8::2", 0))
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: bytes.count))
        let mapped = v1("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2")
        let mappedExpected = ProxyHeader(
            version: .v1, source: endpoint("::ffff:192.0.2.1", 1), destination: endpoint("::1", 2))
        #expect(parseProxyEveryWay(mapped) == .header(mappedExpected, length: mapped.count))
    }

    @Test("the longest lines the specification lists fit, 104 and 107 bytes")
    func longestLines() {
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let tcp6 = v1("PROXY TCP6 \(full) \(full) 65535 65535")
        #expect(tcp6.count == 104)
        let expected = ProxyHeader(
            version: .v1, source: endpoint(full, 65535), destination: endpoint(full, 65535))
        #expect(parseProxyEveryWay(tcp6) == .header(expected, length: 104))
        let unknown = v1("PROXY UNKNOWN \(full) \(full) 65535 65535")
        #expect(unknown.count == 107)
        #expect(parseProxyEveryWay(unknown) == .header(ProxyHeader(version: .v1), length: 107))
        let tcp4 = v1("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535")
        #expect(tcp4.count == 56)
        #expect(parseProxyEveryWay(tcp4) != .needMoreData)
    }

    @Test("UNKNOWN ignores the rest of the line; its addresses are unknown")
    func unknown() {
        for line in [
            "PROXY UNKNOWN", "PROXY UNKNOWN x", "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2", "PROXY UNKNOWN \u{7F}~ \t",
        ] {
            let bytes = v1(line)
            #expect(parseProxyEveryWay(bytes) == .header(ProxyHeader(version: .v1), length: bytes.count), "\(line)")
        }
        #expect(!ProxyHeader(version: .v1).hasAddresses)
    }

    @Test("a line beyond 107 bytes is refused at its 107th byte, without waiting for more")
    func tooLong() {
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let line = v1("PROXY UNKNOWN \(full) \(full) 65535 655350")
        #expect(line.count == 108)
        #expect(parseProxyEveryWay(line) == .error(.tooLong(limit: 107)))
        let endless = Array("PROXY TCP4 ".utf8) + [UInt8](repeating: UInt8(ascii: "1"), count: 96)
        #expect(endless.count == 107)
        #expect(parseProxyEveryWay(endless) == .error(.tooLong(limit: 107)))
        #expect(parseProxyEveryWay(Array(endless.dropLast())) == .needMoreData)
        let crAt107 = Array(endless.dropLast()) + [0x0D]
        #expect(parseProxyEveryWay(crAt107) == .error(.tooLong(limit: 107)))
    }

    @Test(
        "malformed lines are refused with their reason",
        arguments: [
            ("PROXY ", ProxyHeaderError.malformedV1(.unknownProtocol)),
            ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2", .malformedV1(.unknownProtocol)),
            ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2", .malformedV1(.invalidFields)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1  2", .malformedV1(.invalidFields)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ", .malformedV1(.invalidFields)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1", .malformedV1(.invalidFields)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3", .malformedV1(.invalidFields)),
            ("PROXY TCP4", .malformedV1(.invalidFields)),
            ("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2", .malformedV1(.invalidFields)),
            ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2", .malformedV1(.unknownProtocol)),
            ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2", .malformedV1(.unknownProtocol)),
            ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2", .malformedV1(.unknownProtocol)),
            ("PROXY UNKNOWNX", .malformedV1(.unknownProtocol)),
            ("PROXY unknown", .malformedV1(.unknownProtocol)),
            ("PROXY TCP4 1.2.3.04 5.6.7.8 1 2", .malformedV1(.invalidSourceAddress)),
            ("PROXY TCP4 ::1 5.6.7.8 1 2", .malformedV1(.invalidSourceAddress)),
            ("PROXY TCP4 1.2.3.4 ::1 1 2", .malformedV1(.invalidDestinationAddress)),
            ("PROXY TCP4 1.2.3.4 5.6.7.256 1 2", .malformedV1(.invalidDestinationAddress)),
            ("PROXY TCP6 1.2.3.4 ::1 1 2", .malformedV1(.invalidSourceAddress)),
            ("PROXY TCP6 ::1 1.2.3.4 1 2", .malformedV1(.invalidDestinationAddress)),
            ("PROXY TCP6 fe80::1%eth0 ::1 1 2", .malformedV1(.invalidSourceAddress)),
            ("PROXY TCP6 [::1] ::1 1 2", .malformedV1(.invalidSourceAddress)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 01 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 00 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 123456 2", .malformedV1(.invalidSourcePort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999", .malformedV1(.invalidDestinationPort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x1", .malformedV1(.invalidDestinationPort)),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 080", .malformedV1(.invalidDestinationPort)),
        ])
    func malformed(line: String, error: ProxyHeaderError) {
        #expect(parseProxyEveryWay(v1(line)) == .error(error))
    }

    @Test("a bare LF or stray CR is refused as soon as it is seen")
    func lineEndings() {
        for line in [
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
            "PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n",
            "PROXY UNKNOWN\n", "PROXY UNKNOWN\n\r\n", "PROXY \n",
        ] {
            #expect(
                parseProxyEveryWay(Array(line.utf8)) == .error(.malformedV1(.invalidLineEnding)),
                "\(line.debugDescription)")
        }
        #expect(runProxyParser([Array("PROXY TCP4\n".utf8)[...]]) == .error(.malformedV1(.invalidLineEnding)))
        #expect(runProxyParser([Array("PROXY TCP4\rx".utf8)[...]]) == .error(.malformedV1(.invalidLineEnding)))
        #expect(runProxyParser([Array("PROXY TCP4\r".utf8)[...]]) == .needMoreData)
    }

    @Test("an unknown protocol is refused at its first differing byte, before the CRLF")
    func earlyProtocolErrors() {
        let cases: [(String, Int)] = [
            ("PROXY TCP5", 10), ("PROXY X", 7), ("PROXY UNKNOWNX", 14), ("PROXY TCP44", 11), ("PROXY TCP ", 10),
            ("PROXY  ", 7), ("PROXY \t", 7), ("PROXY UNKNOWN\t", 14),
        ]
        for (text, decidedAt) in cases {
            let bytes = Array(text.utf8)
            #expect(bytes.count == decidedAt)
            #expect(runProxyParser([bytes.dropLast()]) == .needMoreData, "\(text.debugDescription)")
            #expect(runProxyParser([bytes[...]]) == .error(.malformedV1(.unknownProtocol)), "\(text.debugDescription)")
        }
        for text in ["PROXY TCP4 ", "PROXY TCP6 x", "PROXY UNKNOWN ", "PROXY UNKNOWN\r", "PROXY TCP4\r"] {
            #expect(runProxyParser([Array(text.utf8)[...]]) == .needMoreData, "\(text.debugDescription)")
        }
    }

    @Test("ports 0 and 65535 are accepted; the boundaries of the fields hold")
    func portBounds() {
        let bytes = v1("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535")
        let expected = ProxyHeader(
            version: .v1, source: endpoint("0.0.0.0", 0), destination: endpoint("255.255.255.255", 65535))
        #expect(parseProxyEveryWay(bytes) == .header(expected, length: bytes.count))
    }

    @Test("error messages say what is wrong")
    func messages() {
        #expect(
            ProxyHeaderError.malformedV1(.invalidSourcePort).description
                == "Malformed PROXY protocol v1 header: the source port is not a number 0-65535 without leading zeros")
        #expect(
            ProxyHeaderError.tooLong(limit: 107).description == "The PROXY protocol header is longer than 107 bytes")
        #expect(ProxyHeaderError.notAProxyHeader.description.contains("did not start with a PROXY protocol header"))
        for problem in [
            ProxyHeaderError.MalformedV1.invalidLineEnding, .unknownProtocol, .invalidFields, .invalidSourceAddress,
            .invalidDestinationAddress, .invalidSourcePort, .invalidDestinationPort,
        ] {
            #expect(ProxyHeaderError.malformedV1(problem).description.hasPrefix("Malformed PROXY protocol v1 header: "))
        }
    }
}
