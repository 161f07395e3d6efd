/// A run of UTF-8 or protocol bytes; its indices are offsets in the underlying buffer.
typealias ByteSlice = Slice<UnsafeBufferPointer<UInt8>>

extension StringProtocol {
    /// Calls `body` with the UTF-8 of the text in contiguous memory, copying only when the
    /// text is not stored that way already.
    func withContiguousUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(self)
        return copy.withUTF8(body)
    }
}

/// The text forms of addresses and ports, on bytes.
enum AddressText {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")
    static let percent = UInt8(ascii: "%")

    /// An IPv6 address when the text has a colon, else an IPv4 dotted quad.
    static func address(_ bytes: ByteSlice) -> IPAddress? {
        if bytes.contains(colon) {
            return ipv6(bytes).map { IPAddress(storage: .ipv6(high: $0.high, low: $0.low)) }
        }
        return ipv4(bytes).map { IPAddress(storage: .ipv4($0)) }
    }

    /// Why ``address(_:)`` refused `text`.
    static func problem(with text: some StringProtocol) -> AddressParseError.Reason {
        if text.isEmpty { return .empty }
        if text.utf8.contains(percent) { return .zoneNotSupported }
        return text.utf8.contains(colon) ? .invalidIPv6 : .invalidIPv4
    }

    /// A strict dotted quad: exactly four decimal numbers 0–255, no leading zeros, no signs.
    static func ipv4(_ bytes: ByteSlice) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var part: UInt32 = 0
        var digits = 0
        for byte in bytes {
            if let digit = decimalDigit(byte) {
                if digits > 0 && part == 0 { return nil }  // a leading zero
                part = part * 10 + UInt32(digit)
                digits += 1
                if part > 255 { return nil }
            } else if byte == dot {
                if digits == 0 || parts == 3 { return nil }
                result = result << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0 && parts == 3 else { return nil }
        return result << 8 | part
    }

    /// RFC 4291 §2.2 text: up to eight groups of 1–4 hex digits, at most one `::` for one or
    /// more zero groups, an optional dotted quad for the last 32 bits. No zone.
    static func ipv6(_ bytes: ByteSlice) -> (high: UInt64, low: UInt64)? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapAt: Int?
        var index = bytes.startIndex
        let end = bytes.endIndex
        guard index < end else { return nil }
        if bytes[index] == colon {
            guard index + 1 < end && bytes[index + 1] == colon else { return nil }
            gapAt = 0
            index += 2
        }
        while index < end {
            let groupStart = index
            var value: UInt16 = 0
            var digits = 0
            while index < end, let digit = hexDigit(bytes[index]) {
                digits += 1
                if digits > 4 { return nil }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            if index < end && bytes[index] == dot {
                // The last 32 bits as a dotted quad.
                guard groups.count <= 6, let quad = ipv4(bytes[groupStart..<end]) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: quad >> 16))
                groups.append(UInt16(truncatingIfNeeded: quad))
                index = end
                break
            }
            guard digits > 0, groups.count < 8 else { return nil }
            groups.append(value)
            if index == end { break }
            guard bytes[index] == colon else { return nil }
            index += 1
            if index < end && bytes[index] == colon {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                index += 1
            } else if index == end {
                return nil  // a single trailing colon
            }
        }
        if let gapAt {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gapAt)
        } else if groups.count != 8 {
            return nil
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (position, group) in groups.enumerated() {
            if position < 4 {
                high = high << 16 | UInt64(group)
            } else {
                low = low << 16 | UInt64(group)
            }
        }
        return (high, low)
    }

    /// A decimal number 0–65535. `leadingZeros` allows `080` (RFC 7239's `1*5DIGIT`); without
    /// it only `0` itself may start with a zero (the PROXY protocol's rule).
    static func port(_ bytes: ByteSlice, leadingZeros: Bool) -> UInt16? {
        guard !bytes.isEmpty, bytes.count <= 5 else { return nil }
        if !leadingZeros && bytes.count > 1 && bytes.first == UInt8(ascii: "0") { return nil }
        var value = 0
        for byte in bytes {
            guard let digit = decimalDigit(byte) else { return nil }
            value = value * 10 + Int(digit)
        }
        return UInt16(exactly: value)
    }

    static func decimalDigit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
