/// The `proto` and `host` values of `Forwarded` and `X-Forwarded-*` fields.
enum HostSyntax {
    /// The longest host name accepted (a DNS name has at most 253 characters).
    static let maxNameLength = 255

    /// A URI scheme (RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), lowercase;
    /// `nil` when `bytes` is not one.
    static func scheme(_ bytes: some Collection<UInt8>) -> String? {
        guard let first = bytes.first, FieldSyntax.isAlpha(first), bytes.count <= 32 else { return nil }
        var lowercase: [UInt8] = []
        lowercase.reserveCapacity(bytes.count)
        for byte in bytes {
            guard
                FieldSyntax.isAlpha(byte) || FieldSyntax.isDigit(byte) || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            else { return nil }
            lowercase.append(FieldSyntax.isAlpha(byte) ? byte | 0x20 : byte)
        }
        return String(decoding: lowercase, as: UTF8.self)
    }

    /// A `Host` value (RFC 9110 §7.2: `uri-host [ ":" port ]`), as given; `nil` when `bytes`
    /// is not one. The host is an IPv6 address in brackets, or a registered name or IPv4
    /// address of RFC 3986's `reg-name` characters (letters, digits, `-._~`, `!$&'()*+,;=` and
    /// `%` escapes) of at most ``maxNameLength`` bytes; the port has one to five digits, at
    /// most 65535.
    static func host(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { buffer -> String? in
            let text = buffer[...]
            var nameEnd: Int
            if text.first == UInt8(ascii: "[") {
                guard let close = text.firstIndex(of: UInt8(ascii: "]")),
                    AddressText.ipv6(text[(text.startIndex + 1)..<close]) != nil
                else { return nil }
                nameEnd = close + 1
            } else {
                nameEnd = text.firstIndex(of: AddressText.colon) ?? text.endIndex
                let name = text[..<nameEnd]
                guard !name.isEmpty, name.count <= maxNameLength, isRegisteredName(name) else { return nil }
            }
            if nameEnd < text.endIndex {
                guard text[nameEnd] == AddressText.colon,
                    AddressText.port(text[(nameEnd + 1)...], leadingZeros: true) != nil
                else { return nil }
            }
            return String(decoding: text, as: UTF8.self)
        }
    }

    private static func isRegisteredName(_ bytes: ByteSlice) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == AddressText.percent {
                guard index + 2 < bytes.endIndex, AddressText.hexDigit(bytes[index + 1]) != nil,
                    AddressText.hexDigit(bytes[index + 2]) != nil
                else { return false }
                index += 3
                continue
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                UInt8(ascii: "="):
                index += 1
            default:
                return false
            }
        }
        return true
    }
}
