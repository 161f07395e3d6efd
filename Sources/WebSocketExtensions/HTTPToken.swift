/// Character classes of RFC 7230 §3.2.6, on bytes. Package access: the driver's HTTP parser
/// uses the same definitions.
package enum HTTPToken {
    /// `tchar`: ``!#$%&'*+-.^_`|~``, digits and ASCII letters.
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        tokenTable[Int(byte)]
    }

    /// Whether `text` is a non-empty token.
    package static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    /// `qdtext` (HTAB, SP, `!`, `#`-`[`, `]`-`~`, obs-text), i.e. what stands unescaped
    /// between quotes.
    package static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || byte == 0x21 || (byte >= 0x23 && byte <= 0x5B)
            || (byte >= 0x5D && byte <= 0x7E) || byte >= 0x80
    }

    /// What may follow a backslash in a `quoted-pair`: HTAB, SP, VCHAR, obs-text.
    package static func isQuotedPairByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Optional white space: SP or HTAB.
    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    private static let tokenTable: [Bool] = (0...255).map { value -> Bool in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
