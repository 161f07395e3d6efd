/// The text form of the PROXY protocol (version 1), after `PROXY ` and before the CRLF.
enum ProxyHeaderV1 {
    private static let space = UInt8(ascii: " ")

    /// Decodes the fields of a line: `TCP4|TCP6 SOURCE DESTINATION SPORT DPORT`, or `UNKNOWN`
    /// followed by anything.
    static func decode(_ line: ByteSlice) throws(ProxyHeaderError) -> ProxyHeader {
        let fields = line.split(separator: space, omittingEmptySubsequences: false)
        guard let protocolName = fields.first else { throw .malformedV1(.unknownProtocol) }
        let family: IPAddress.Family
        if protocolName.elementsEqual("TCP4".utf8) {
            family = .ipv4
        } else if protocolName.elementsEqual("TCP6".utf8) {
            family = .ipv6
        } else if protocolName.elementsEqual("UNKNOWN".utf8) {
            return ProxyHeader(version: .v1)  // the rest of the line is to be ignored
        } else {
            throw .malformedV1(.unknownProtocol)
        }
        guard fields.count == 5, fields.allSatisfy({ !$0.isEmpty }) else { throw .malformedV1(.invalidFields) }
        guard let source = address(fields[1], family) else { throw .malformedV1(.invalidSourceAddress) }
        guard let destination = address(fields[2], family) else { throw .malformedV1(.invalidDestinationAddress) }
        guard let sourcePort = AddressText.port(fields[3], leadingZeros: false) else {
            throw .malformedV1(.invalidSourcePort)
        }
        guard let destinationPort = AddressText.port(fields[4], leadingZeros: false) else {
            throw .malformedV1(.invalidDestinationPort)
        }
        return ProxyHeader(
            version: .v1,
            source: SocketEndpoint(address: source, port: sourcePort),
            destination: SocketEndpoint(address: destination, port: destinationPort))
    }

    private static func address(_ text: ByteSlice, _ family: IPAddress.Family) -> IPAddress? {
        switch family {
        case .ipv4:
            return AddressText.ipv4(text).map { IPAddress(storage: .ipv4($0)) }
        case .ipv6:
            return AddressText.ipv6(text).map { IPAddress(storage: .ipv6(high: $0.high, low: $0.low)) }
        }
    }
}
