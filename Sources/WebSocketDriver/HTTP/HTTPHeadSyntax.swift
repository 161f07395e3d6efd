import WebSocketExtensions

/// Byte classes and comparisons of RFC 7230 §3.2 used by the HTTP head parser and by
/// ``HeaderFields``.
enum HTTPHeadSyntax {
    static let carriageReturn = UInt8(ascii: "\r")
    static let lineFeed = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")

    /// `tchar` (RFC 7230 §3.2.6): ``!#$%&'*+-.^_`|~``, digits and ASCII letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        HTTPToken.isTokenByte(byte)
    }

    /// Whether `bytes` is a `token` (RFC 7230 §3.2.6): one or more `tchar`.
    static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
    }

    /// `OWS` bytes (RFC 7230 §3.2.3): SP or HTAB.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        HTTPToken.isWhitespace(byte)
    }

    /// Whether `byte` may appear in a field value (RFC 7230 §3.2): HTAB, SP, VCHAR or obs-text;
    /// that is anything but the control characters (0x00-0x1F, 0x7F) other than HTAB.
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// Whether `byte` is a control character (RFC 5234 `CTL`: 0x00-0x1F or 0x7F).
    static func isControl(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F
    }

    /// Whether `byte` is an ASCII digit.
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Whether two byte sequences are equal when ASCII letters are compared case-insensitively
    /// (bytes outside A-Z and a-z compare exactly).
    static func equalsIgnoringASCIICase(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
