/// Base64 with the standard alphabet and padding (RFC 4648 §4), for `Sec-WebSocket-Key` and
/// `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).
package enum Base64 {
    /// `bytes` encoded as base64, padded with `=` to a multiple of four characters.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(alphabet[Int(group >> 18 & 0x3F)])
            output.append(alphabet[Int(group >> 12 & 0x3F)])
            output.append(second == nil ? padding : alphabet[Int(group >> 6 & 0x3F)])
            output.append(third == nil ? padding : alphabet[Int(group & 0x3F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or `nil` unless `text` is canonical padded base64.
    ///
    /// Strict (RFC 4648 §3.1-3.5): the length must be a multiple of four, `=` may only appear as
    /// one or two final padding characters, whitespace and characters outside the alphabet are
    /// rejected, and so are non-canonical encodings whose unused bits before the padding are not
    /// zero (`"QR=="` is rejected; `"QQ=="` is the canonical form).
    static func decode(_ text: String) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode(utf8: $0) }) {
            return decoded
        }
        return Array(text.utf8).withUnsafeBufferPointer { decode(utf8: $0) }
    }

    private static func decode(utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = utf8.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        var paddingCount = 0
        if utf8[count - 1] == padding {
            paddingCount = utf8[count - 2] == padding ? 2 : 1
        }
        var output: [UInt8] = []
        output.reserveCapacity(count / 4 * 3 - paddingCount)
        var offset = 0
        while offset < count {
            let isLast = offset == count - 4
            let first = decodeTable[Int(utf8[offset])]
            let second = decodeTable[Int(utf8[offset + 1])]
            let third = isLast && paddingCount == 2 ? 0 : decodeTable[Int(utf8[offset + 2])]
            let fourth = isLast && paddingCount >= 1 ? 0 : decodeTable[Int(utf8[offset + 3])]
            guard first != invalid, second != invalid, third != invalid, fourth != invalid else { return nil }
            let group = UInt32(first) << 18 | UInt32(second) << 12 | UInt32(third) << 6 | UInt32(fourth)
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            if isLast && paddingCount == 2 {
                guard group & 0xFFFF == 0 else { return nil }
            } else if isLast && paddingCount == 1 {
                guard group & 0xFF == 0 else { return nil }
                output.append(UInt8(truncatingIfNeeded: group >> 8))
            } else {
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
            }
            offset += 4
        }
        return output
    }

    private static let padding = UInt8(ascii: "=")

    private static let invalid: UInt8 = 0xFF

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// Maps an ASCII byte to its 6-bit value, or to `invalid` (which `=` is too: padding is
    /// handled by position).
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()
}
