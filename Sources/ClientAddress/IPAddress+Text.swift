extension IPAddress: CustomStringConvertible, LosslessStringConvertible {
    /// Parses an address (see ``IPAddress`` for the forms accepted).
    /// - Throws: ``AddressParseError`` naming the text and what is wrong with it.
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let parsed = text.withContiguousUTF8 { AddressText.address($0[...]) }
        guard let parsed else {
            throw AddressParseError(input: text, reason: AddressText.problem(with: text))
        }
        self = parsed
    }

    /// Parses an address (see ``IPAddress`` for the forms accepted), or `nil` when `description`
    /// is not one.
    public init?(_ description: String) {
        guard let parsed = description.withContiguousUTF8({ AddressText.address($0[...]) }) else { return nil }
        self = parsed
    }

    /// The canonical text: a dotted quad for IPv4, the RFC 5952 form for IPv6.
    public var description: String {
        switch storage {
        case .ipv4(let value):
            return Self.dottedQuad(value)
        case .ipv6(let high, let low):
            if isIPv4Mapped { return "::ffff:" + Self.dottedQuad(UInt32(truncatingIfNeeded: low)) }
            return Self.ipv6Text(high: high, low: low)
        }
    }

    private static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    /// RFC 5952 §4: lowercase hexadecimal without leading zeros; the longest run of at least
    /// two zero groups (the first of equal runs) becomes `::`.
    private static func ipv6Text(high: UInt64, low: UInt64) -> String {
        let groups = (0..<8).map { index -> UInt16 in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * (index % 4)))
        }
        var bestStart = -1
        var bestLength = 1
        var runStart = 0
        var runLength = 0
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runLength == 0 { runStart = index }
                runLength += 1
                if runLength > bestLength {
                    bestStart = runStart
                    bestLength = runLength
                }
            } else {
                runLength = 0
            }
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }
}
