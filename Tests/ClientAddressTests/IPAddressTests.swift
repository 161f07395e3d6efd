import ClientAddress
import Testing

@Suite("IP addresses: text forms, canonical output, IPv4-mapped addresses")
struct IPAddressTests {
    @Test(
        "dotted quads parse to their four bytes",
        arguments: [
            ("0.0.0.0", [0, 0, 0, 0]),
            ("192.0.2.1", [192, 0, 2, 1]),
            ("255.255.255.255", [255, 255, 255, 255]),
            ("10.0.0.10", [10, 0, 0, 10]),
            ("1.20.100.200", [1, 20, 100, 200]),
        ] as [(String, [UInt8])])
    func ipv4(text: String, bytes: [UInt8]) throws {
        let address = try IPAddress(parsing: text)
        #expect(address.family == .ipv4)
        #expect(address.bytes == bytes)
        #expect(address.description == text)
        #expect(IPAddress(bytes: bytes) == address)
        #expect(address == .ipv4(bytes[0], bytes[1], bytes[2], bytes[3]))
    }

    @Test(
        "malformed dotted quads are refused",
        arguments: [
            "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.00", "1..3.4", ".1.2.3",
            "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "1.2.3.-4", "0x1.2.3.4", "1.2.3.4/8", "1e2.0.0.1",
            "1.2.3.1000", "4294967295", "１.2.3.4", "1.2.3.4\0",
        ])
    func invalidIPv4(text: String) {
        #expect(IPAddress(text) == nil)
        #expect(throws: AddressParseError(input: text, reason: .invalidIPv4)) { try IPAddress(parsing: text) }
    }

    @Test(
        "IPv6 forms parse, and print in RFC 5952 form",
        arguments: [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of two equal runs
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group stays
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run
            ("fe80::1:2", "fe80::1:2"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
            ("0:0:0:0:0:ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("64:ff9b::198.51.100.7", "64:ff9b::c633:6407"),
            ("::192.0.2.1", "::c000:201"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:0:0:0:0:0:0:0", "1::"),
        ])
    func ipv6(text: String, canonical: String) throws {
        let address = try IPAddress(parsing: text)
        #expect(address.family == .ipv6)
        #expect(address.bytes.count == 16)
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address, "the canonical form parses back")
        #expect(IPAddress(bytes: address.bytes) == address)
    }

    @Test(
        "malformed IPv6 text is refused",
        arguments: [
            ":", ":::", "1:2", ":1::", "1::2:", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "g::1", "::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.4:5", "::01.2.3.4", "[::1]", "::1 ", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8",
        ])
    func invalidIPv6(text: String) {
        #expect(IPAddress(text) == nil)
        #expect(throws: AddressParseError(input: text, reason: .invalidIPv6)) { try IPAddress(parsing: text) }
    }

    @Test("zones, empty text and long text get their own reasons")
    func otherErrors() {
        #expect(throws: AddressParseError(input: "fe80::1%eth0", reason: .zoneNotSupported)) {
            try IPAddress(parsing: "fe80::1%eth0")
        }
        #expect(throws: AddressParseError(input: "", reason: .empty)) { try IPAddress(parsing: "") }
        let long = String(repeating: "1", count: 100)
        do {
            _ = try IPAddress(parsing: long)
            Issue.record("parsed")
        } catch {
            #expect(error.input == String(repeating: "1", count: 64) + "…")
            #expect(error.reason == .invalidIPv4)
            #expect(error.description.contains("is not an IPv4 address"))
        }
    }

    @Test("IPv4-mapped addresses unmap to their IPv4 address; others stay")
    func mapped() {
        let mapped = ip("::ffff:10.1.2.3")
        #expect(mapped.isIPv4Mapped)
        #expect(mapped.unmapped == ip("10.1.2.3"))
        #expect(mapped != ip("10.1.2.3"), "equality is by family and bytes")
        #expect(!ip("10.1.2.3").isIPv4Mapped)
        #expect(ip("10.1.2.3").unmapped == ip("10.1.2.3"))
        #expect(!ip("::10.1.2.3").isIPv4Mapped, "IPv4-compatible is not mapped")
        #expect(!ip("::fffe:10.1.2.3").isIPv4Mapped)
        #expect(!ip("1::ffff:10.1.2.3").isIPv4Mapped)
        #expect(ip("2001:db8::1").unmapped == ip("2001:db8::1"))
    }

    @Test("bytes of any other count make no address")
    func byteCounts() {
        #expect(IPAddress(bytes: []) == nil)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 5)) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 17)) == nil)
        let bytes: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAB, 0xCD]
        #expect(IPAddress(bytes: bytes)?.description == "2001:db8::abcd")
        #expect(IPAddress(bytes: bytes)?.bytes == bytes)
    }

    @Test("parsing works on substrings")
    func substrings() throws {
        let text = "x 192.0.2.9 y"
        let slice = text.dropFirst(2).dropLast(2)
        #expect(try IPAddress(parsing: slice) == .ipv4(192, 0, 2, 9))
    }

    @Test("endpoints print IPv6 addresses in brackets")
    func endpoints() {
        #expect(endpoint("192.0.2.1", 443).description == "192.0.2.1:443")
        #expect(endpoint("2001:db8::1", 8080).description == "[2001:db8::1]:8080")
    }
}
