/// The pieces of HTTP field syntax (RFC 9110 §5.6) that `Forwarded` and `X-Forwarded-*`
/// values are made of, on bytes.
enum FieldSyntax {
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// `tchar`: ``!#$%&'*+-.^_`|~``, digits and ASCII letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `qdtext`: what stands unescaped between quotes (HTAB, SP, VCHAR but `"` and `\`,
    /// obs-text).
    static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || byte == 0x21 || (byte >= 0x23 && byte <= 0x5B)
            || (byte >= 0x5D && byte <= 0x7E) || byte >= 0x80
    }

    /// What may follow a backslash in a `quoted-pair`: HTAB, SP, VCHAR, obs-text.
    static func isQuotedPairByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Optional white space: SP or HTAB.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `bytes` without white space at either end.
    static func trimmed(_ bytes: ByteSlice) -> ByteSlice {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// Splits `bytes` at each `separator` outside quoted strings (where a backslash escapes the
    /// next byte). An unterminated quoted string runs to the end: the last piece keeps it, to
    /// be refused when parsed. The pieces are not trimmed.
    static func split(_ bytes: ByteSlice, at separator: UInt8) -> [ByteSlice] {
        var pieces: [ByteSlice] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        var quoted = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if quoted {
                if byte == backslash {
                    index += 1
                } else if byte == quote {
                    quoted = false
                }
            } else if byte == quote {
                quoted = true
            } else if byte == separator {
                pieces.append(bytes[start..<index])
                start = index + 1
            }
            index += 1
        }
        pieces.append(bytes[start..<min(index, bytes.endIndex)])
        return pieces
    }

    /// The content of a `quoted-string` that is exactly `bytes` (quotes included), with its
    /// escapes resolved; `nil` when `bytes` is not one.
    static func unquoted(_ bytes: ByteSlice) -> [UInt8]? {
        guard bytes.count >= 2, bytes.first == quote, bytes.last == quote else { return nil }
        var content: [UInt8] = []
        content.reserveCapacity(bytes.count - 2)
        var index = bytes.startIndex + 1
        let end = bytes.endIndex - 1
        while index < end {
            let byte = bytes[index]
            if byte == backslash {
                guard index + 1 < end, isQuotedPairByte(bytes[index + 1]) else { return nil }
                content.append(bytes[index + 1])
                index += 2
            } else {
                guard isQuotedTextByte(byte) else { return nil }
                content.append(byte)
                index += 1
            }
        }
        return content
    }

    /// The items of comma-separated lists (no quoted strings), read from the end of the last
    /// line: trimmed, the empty ones skipped, nearest the end first. At most `limit` items are
    /// examined (empty ones included), and only the examined tail of the text is scanned.
    static func lastItems(of lines: [String], limit: Int) -> [String] {
        var items: [String] = []
        var examined = 0
        for line in lines.reversed() where examined < limit {
            line.withContiguousUTF8 { buffer in
                var end = buffer.endIndex
                while examined < limit {
                    var start = end
                    while start > buffer.startIndex && buffer[start - 1] != comma { start -= 1 }
                    examined += 1
                    let item = trimmed(buffer[start..<end])
                    if !item.isEmpty { items.append(String(decoding: item, as: UTF8.self)) }
                    if start == buffer.startIndex { break }
                    end = start - 1
                }
            }
        }
        return items
    }
}

extension StringProtocol {
    /// The text without spaces and tabs at either end.
    func trimmingSpacesAndTabs() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end && (self[start] == " " || self[start] == "\t") { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" else { break }
            end = before
        }
        return self[start..<end]
    }
}
