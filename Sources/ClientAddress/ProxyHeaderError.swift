/// Why the bytes at the start of a connection are not an acceptable PROXY protocol header.
///
/// Every case means the same to a server: close the connection without serving it, as the
/// specification requires.
public enum ProxyHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with a version 1 (text) header.
    public enum MalformedV1: Sendable, Hashable {
        /// A CR not followed by LF, or an LF without the CR before it.
        case invalidLineEnding
        /// The protocol is not `TCP4`, `TCP6` or `UNKNOWN` (thrown at the first byte that
        /// differs from all three, without waiting for the CRLF).
        case unknownProtocol
        /// The line is not five fields (protocol, two addresses, two ports) separated by
        /// exactly one space.
        case invalidFields
        /// The source address is not an address of the protocol's family (a dotted quad
        /// without leading zeros for `TCP4`, an IPv6 address for `TCP6`).
        case invalidSourceAddress
        /// The destination address is not an address of the protocol's family.
        case invalidDestinationAddress
        /// The source port is not a decimal number 0–65535 without leading zeros.
        case invalidSourcePort
        /// The destination port is not a decimal number 0–65535 without leading zeros.
        case invalidDestinationPort
    }

    /// What is wrong with a version 2 (binary) header.
    public enum MalformedV2: Sendable, Hashable {
        /// The length field is smaller than the family's addresses need (12 bytes for IPv4,
        /// 36 for IPv6, 216 for UNIX sockets).
        case addressesTruncated(required: Int, length: Int)
        /// A type-length-value field runs past the end of the header.
        case truncatedTLV
        /// A `PP2_TYPE_CRC32C` field is not 4 bytes long.
        case invalidChecksumLength
        /// The header's CRC-32C differs from its `PP2_TYPE_CRC32C` field.
        case checksumMismatch
    }

    /// The first bytes are neither `PROXY ` nor the version 2 signature: the peer does not speak
    /// the PROXY protocol. Known from the first byte that differs, at most the 6th (version 1)
    /// or 12th (version 2).
    case notAProxyHeader
    /// A version 1 header that breaks the grammar.
    case malformedV1(MalformedV1)
    /// A version 2 header that breaks the format.
    case malformedV2(MalformedV2)
    /// The version 2 signature followed by a version other than 2 (the high four bits of the
    /// 13th byte).
    case unsupportedVersion(UInt8)
    /// A version 2 command other than `LOCAL` (0) or `PROXY` (1).
    case unsupportedCommand(UInt8)
    /// A version 2 `PROXY` header whose family and transport byte (the 14th) has a family
    /// above 3 or a transport above 2, values the specification leaves undefined.
    case unsupportedFamily(UInt8)
    /// A version 1 line with no CRLF within 107 bytes, or a version 2 header longer than the
    /// parser's bound; `limit` is that bound in bytes.
    case tooLong(limit: Int)

    /// A sentence naming the problem.
    public var description: String {
        switch self {
        case .notAProxyHeader:
            return "The connection did not start with a PROXY protocol header"
        case .malformedV1(let problem):
            return "Malformed PROXY protocol v1 header: " + Self.describe(problem)
        case .malformedV2(let problem):
            return "Malformed PROXY protocol v2 header: " + Self.describe(problem)
        case .unsupportedVersion(let version):
            return "Unsupported PROXY protocol version \(version) after the v2 signature"
        case .unsupportedCommand(let command):
            return "Unsupported PROXY protocol v2 command \(command) (LOCAL is 0, PROXY is 1)"
        case .unsupportedFamily(let byte):
            return "Unsupported PROXY protocol v2 address family and transport 0x"
                + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        case .tooLong(let limit):
            return "The PROXY protocol header is longer than \(limit) bytes"
        }
    }

    private static func describe(_ problem: MalformedV1) -> String {
        switch problem {
        case .invalidLineEnding: return "the line must end with CRLF, and only there"
        case .unknownProtocol: return "the protocol must be TCP4, TCP6 or UNKNOWN"
        case .invalidFields: return "expected protocol, two addresses and two ports separated by single spaces"
        case .invalidSourceAddress: return "the source address is not an address of the protocol's family"
        case .invalidDestinationAddress: return "the destination address is not an address of the protocol's family"
        case .invalidSourcePort: return "the source port is not a number 0-65535 without leading zeros"
        case .invalidDestinationPort: return "the destination port is not a number 0-65535 without leading zeros"
        }
    }

    private static func describe(_ problem: MalformedV2) -> String {
        switch problem {
        case .addressesTruncated(let required, let length):
            return "the addresses need \(required) bytes but the header has \(length)"
        case .truncatedTLV: return "a TLV runs past the end of the header"
        case .invalidChecksumLength: return "the CRC32C TLV is not 4 bytes long"
        case .checksumMismatch: return "the CRC32C checksum does not match"
        }
    }
}
