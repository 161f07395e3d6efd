import ClientAddress
import Testing

@Suite("Address ranges (CIDR) and trusted proxy lists")
struct AddressRangeTests {
    @Test("ranges parse with and without a prefix length")
    func parsing() throws {
        let range = try AddressRange(parsing: "10.0.0.0/8")
        #expect(range.address == .ipv4(10, 0, 0, 0))
        #expect(range.prefixLength == 8)
        #expect(range.description == "10.0.0.0/8")
        #expect(try AddressRange(parsing: "192.168.1.7").prefixLength == 32)
        #expect(try AddressRange(parsing: "::1").prefixLength == 128)
        #expect(try AddressRange(parsing: "fd00::/8").description == "fd00::/8")
        #expect(try AddressRange(parsing: "0.0.0.0/0").description == "0.0.0.0/0")
        #expect(try AddressRange(parsing: "::/0").description == "::/0")
        #expect(try AddressRange(parsing: "2001:DB8::/32").description == "2001:db8::/32")
        #expect(AddressRange(ip("192.0.2.1")).description == "192.0.2.1/32")
        #expect(try AddressRange(address: ip("10.0.0.0"), prefixLength: 8) == range)
    }

    @Test(
        "bad ranges are refused with their reason",
        arguments: [
            ("10.0.0.0/", AddressParseError.Reason.invalidPrefixLength),
            ("10.0.0.0/x", .invalidPrefixLength),
            ("10.0.0.0/08", .invalidPrefixLength),
            ("10.0.0.0/-1", .invalidPrefixLength),
            ("10.0.0.0/+8", .invalidPrefixLength),
            ("10.0.0.0/8/8", .invalidPrefixLength),
            ("10.0.0.0/ 8", .invalidPrefixLength),
            ("10.0.0.0/100000", .invalidPrefixLength),
            ("10.0.0.0/33", .prefixLengthTooLarge(maximum: 32)),
            ("::/129", .prefixLengthTooLarge(maximum: 128)),
            ("1.2.3/8", .invalidIPv4),
            ("/8", .empty),
            ("fe80::%1/64", .zoneNotSupported),
        ])
    func invalid(text: String, reason: AddressParseError.Reason) {
        #expect(throws: AddressParseError.self) { try AddressRange(parsing: text) }
        do {
            _ = try AddressRange(parsing: text)
        } catch {
            #expect(error.reason == reason, "\(text)")
        }
    }

    @Test("host bits beyond the prefix are refused, naming the network")
    func hostBits() throws {
        let network = try AddressRange(parsing: "10.0.0.0/8")
        let error = AddressParseError(input: "10.0.0.5/8", reason: .hostBitsSet(network: network))
        #expect(throws: error) { try AddressRange(parsing: "10.0.0.5/8") }
        #expect(error.description.contains("write 10.0.0.0/8"))
        let v6 = try AddressRange(parsing: "fd00::/8")
        #expect(throws: AddressParseError(input: "fd12::/8", reason: .hostBitsSet(network: v6))) {
            try AddressRange(parsing: "fd12::/8")
        }
        #expect(throws: AddressParseError.self) { try AddressRange(address: ip("10.0.0.5"), prefixLength: 8) }
        #expect(throws: AddressParseError.self) { try AddressRange(address: ip("10.0.0.0"), prefixLength: 33) }
        #expect(throws: AddressParseError.self) { try AddressRange(address: ip("10.0.0.0"), prefixLength: -1) }
        #expect(throws: Never.self) { try AddressRange(parsing: "10.0.0.5/32") }
        #expect(throws: Never.self) { try AddressRange(parsing: "0.0.0.0/0") }
    }

    @Test("containment at the edges of IPv4 ranges")
    func ipv4Edges() throws {
        let range = try AddressRange(parsing: "192.168.4.0/22")
        #expect(range.contains(ip("192.168.4.0")))
        #expect(range.contains(ip("192.168.7.255")))
        #expect(!range.contains(ip("192.168.8.0")))
        #expect(!range.contains(ip("192.168.3.255")))
        let all = try AddressRange(parsing: "0.0.0.0/0")
        #expect(all.contains(ip("0.0.0.0")))
        #expect(all.contains(ip("255.255.255.255")))
        #expect(!all.contains(ip("2001:db8::1")), "all IPv4 is not IPv6")
        let host = try AddressRange(parsing: "203.0.113.7/32")
        #expect(host.contains(ip("203.0.113.7")))
        #expect(!host.contains(ip("203.0.113.6")))
        #expect(!host.contains(ip("203.0.113.8")))
        let odd = try AddressRange(parsing: "10.0.0.128/25")
        #expect(odd.contains(ip("10.0.0.200")))
        #expect(!odd.contains(ip("10.0.0.127")))
    }

    @Test("containment at the edges of IPv6 ranges, across the 64-bit halves")
    func ipv6Edges() throws {
        let range = try AddressRange(parsing: "2001:db8::/32")
        #expect(range.contains(ip("2001:db8::")))
        #expect(range.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")))
        #expect(!range.contains(ip("2001:db9::")))
        let half = try AddressRange(parsing: "2001:db8:0:1::/64")
        #expect(half.contains(ip("2001:db8:0:1:ffff::1")))
        #expect(!half.contains(ip("2001:db8:0:2::")))
        let beyond = try AddressRange(parsing: "2001:db8::8000:0:0:0/65")
        #expect(beyond.contains(ip("2001:db8::8000:0:0:1")))
        #expect(!beyond.contains(ip("2001:db8::7fff:0:0:1")))
        let host = try AddressRange(parsing: "::1/128")
        #expect(host.contains(ip("::1")))
        #expect(!host.contains(ip("::2")))
        #expect(!host.contains(ip("::")))
        let all = try AddressRange(parsing: "::/0")
        #expect(all.contains(ip("ffff::1")))
        #expect(all.contains(ip("192.0.2.1")), "IPv4 is IPv4-mapped IPv6 here")
        #expect(!(try AddressRange(parsing: "fd00::/8")).contains(ip("10.0.0.1")))
    }

    @Test("an IPv4-mapped address is its IPv4 address, both ways")
    func mappedContainment() throws {
        let v4 = try AddressRange(parsing: "10.0.0.0/8")
        #expect(v4.contains(ip("::ffff:10.20.30.40")))
        #expect(!v4.contains(ip("::ffff:11.0.0.1")))
        #expect(!v4.contains(ip("::10.20.30.40")), "IPv4-compatible is another address")
        let mapped = try AddressRange(parsing: "::ffff:10.0.0.0/104")
        #expect(mapped.contains(ip("10.1.1.1")))
        #expect(mapped.contains(ip("::ffff:10.1.1.1")))
        #expect(!mapped.contains(ip("11.1.1.1")))
        let mappedHost = try AddressRange(parsing: "::ffff:127.0.0.1")
        #expect(mappedHost.contains(ip("127.0.0.1")))
        #expect(AddressRange(ip("127.0.0.1")).contains(ip("::ffff:127.0.0.1")))
    }

    @Test("trusted proxy lists parse from a command line value")
    func trustedProxies() throws {
        let trusted = try TrustedProxies(parsing: "127.0.0.1,10.0.0.0/8, ::1\t, fd00::/8 ")
        #expect(trusted.ranges.count == 4)
        #expect(trusted.description == "127.0.0.1/32,10.0.0.0/8,::1/128,fd00::/8")
        #expect(trusted.contains(ip("127.0.0.1")))
        #expect(trusted.contains(ip("::ffff:127.0.0.1")))
        #expect(trusted.contains(ip("10.255.0.1")))
        #expect(trusted.contains(ip("::1")))
        #expect(trusted.contains(ip("fdab::1")))
        #expect(!trusted.contains(ip("127.0.0.2")))
        #expect(!trusted.contains(ip("192.0.2.1")))
        #expect(!trusted.contains(ip("::2")))
        #expect(!trusted.isEmpty)
        #expect(TrustedProxies().isEmpty)
        #expect(!TrustedProxies().contains(ip("127.0.0.1")), "nothing is trusted by default")
        #expect(try TrustedProxies(parsing: "192.0.2.1").ranges == [AddressRange(ip("192.0.2.1"))])
    }

    @Test(
        "bad trusted proxy lists are refused",
        arguments: [
            ("", AddressParseError.Reason.empty), ("10.0.0.1,", .empty), (",10.0.0.1", .empty),
            ("10.0.0.1,,10.0.0.2", .empty),
            (" , ", .empty), ("10.0.0.1,bogus", .invalidIPv4), ("10.0.0.1;10.0.0.2", .invalidIPv4),
            ("10.0.0.1 10.0.0.2", .invalidIPv4), ("::1,::1::", .invalidIPv6),
            ("10.0.0.0/40", .prefixLengthTooLarge(maximum: 32)),
        ])
    func invalidLists(text: String, reason: AddressParseError.Reason) {
        do {
            _ = try TrustedProxies(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.reason == reason, "\(text): \(error)")
        }
    }

    @Test("error messages name the text")
    func messages() {
        #expect(
            AddressParseError(input: "10.0.0.0/33", reason: .prefixLengthTooLarge(maximum: 32)).description
                == "\"10.0.0.0/33\" has a prefix length above 32")
        #expect(AddressParseError(input: "x", reason: .invalidIPv6).description == "\"x\" is not an IPv6 address")
        #expect(AddressParseError(input: "", reason: .empty).description.contains("empty"))
        #expect(AddressParseError(input: "fe80::1%lo", reason: .zoneNotSupported).description.contains("zone"))
        #expect(AddressParseError(input: "1/x", reason: .invalidPrefixLength).description.contains("prefix length"))
    }
}
