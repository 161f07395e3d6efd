/// The binary form of the PROXY protocol (version 2).
enum ProxyHeaderV2 {
    /// The signature, the version and command byte, the family and transport byte and the
    /// 16-bit length.
    static let fixedLength = 16

    private static let localCommand: UInt8 = 0
    private static let proxyCommand: UInt8 = 1
    private static let familyIPv4: UInt8 = 1
    private static let familyIPv6: UInt8 = 2
    private static let familyUnix: UInt8 = 3
    private static let transportStream: UInt8 = 1
    private static let checksumType: UInt8 = 0x03

    /// The header's size from its length field (bytes 15 and 16, big-endian).
    static func totalLength(_ header: [UInt8]) -> Int {
        fixedLength + (Int(header[14]) << 8 | Int(header[15]))
    }

    /// Checks the version, the command and, for `PROXY`, the family and transport, as soon as
    /// the fixed part is in.
    static func checkFixedPart(_ header: [UInt8]) throws(ProxyHeaderError) {
        let version = header[12] >> 4
        let command = header[12] & 0x0F
        guard version == 2 else { throw .unsupportedVersion(version) }
        guard command == localCommand || command == proxyCommand else { throw .unsupportedCommand(command) }
        // LOCAL ignores the family byte altogether, as the specification says.
        if command == proxyCommand && (header[13] >> 4 > familyUnix || header[13] & 0x0F > 2) {
            throw .unsupportedFamily(header[13])
        }
    }

    /// Decodes a complete header whose fixed part ``checkFixedPart(_:)`` accepted.
    static func decode(_ header: ByteSlice) throws(ProxyHeaderError) -> ProxyHeader {
        let start = header.startIndex
        let command = header[start + 12] & 0x0F
        guard command == proxyCommand else { return ProxyHeader(version: .v2, isLocal: true) }
        let family = header[start + 13] >> 4
        let transport = header[start + 13] & 0x0F
        let length = header.count - fixedLength
        let addressLength: Int
        switch family {
        case _ where transport == 0: return ProxyHeader(version: .v2)
        case familyIPv4: addressLength = 12
        case familyIPv6: addressLength = 36
        case familyUnix: addressLength = 216
        default: return ProxyHeader(version: .v2)  // AF_UNSPEC: the layout is unknown
        }
        guard length >= addressLength else {
            throw .malformedV2(.addressesTruncated(required: addressLength, length: length))
        }
        let tlvs = try typeLengthValues(header, from: start + fixedLength + addressLength)
        guard transport == transportStream && (family == familyIPv4 || family == familyIPv6) else {
            return ProxyHeader(version: .v2, tlvs: tlvs)  // UDP or a UNIX socket: no TCP endpoints
        }
        let size = family == familyIPv4 ? 4 : 16
        let addresses = start + fixedLength
        guard let source = IPAddress(bytes: header[addresses..<(addresses + size)]),
            let destination = IPAddress(bytes: header[(addresses + size)..<(addresses + 2 * size)])
        else { throw .malformedV2(.addressesTruncated(required: addressLength, length: length)) }
        let ports = addresses + 2 * size
        let sourcePort = UInt16(header[ports]) << 8 | UInt16(header[ports + 1])
        let destinationPort = UInt16(header[ports + 2]) << 8 | UInt16(header[ports + 3])
        return ProxyHeader(
            version: .v2,
            source: SocketEndpoint(address: source, port: sourcePort),
            destination: SocketEndpoint(address: destination, port: destinationPort),
            tlvs: tlvs)
    }

    /// The type-length-value fields from `offset` to the end, which they must fill exactly; a
    /// `PP2_TYPE_CRC32C` field among them is verified.
    private static func typeLengthValues(_ header: ByteSlice, from offset: Int) throws(ProxyHeaderError)
        -> [ProxyHeader.TLV]
    {
        var tlvs: [ProxyHeader.TLV] = []
        var index = offset
        while index < header.endIndex {
            guard header.endIndex - index >= 3 else { throw .malformedV2(.truncatedTLV) }
            let type = header[index]
            let length = Int(header[index + 1]) << 8 | Int(header[index + 2])
            let valueStart = index + 3
            guard header.endIndex - valueStart >= length else { throw .malformedV2(.truncatedTLV) }
            let value = valueStart..<(valueStart + length)
            if type == checksumType {
                guard length == 4 else { throw .malformedV2(.invalidChecksumLength) }
                let expected = header[value].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard CRC32C.checksum(header, zeroing: value) == expected else {
                    throw .malformedV2(.checksumMismatch)
                }
            }
            tlvs.append(ProxyHeader.TLV(type: type, value: Array(header[value])))
            index = value.upperBound
        }
        return tlvs
    }
}
