/// A close status code (RFC 6455 §7.4).
///
/// Any 16-bit value is representable so that received codes can be reported; ``isValidOnWire``
/// tells whether a close frame may carry it.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, as carried in the first two bytes of a close frame's payload.
    public let rawValue: UInt16

    /// Creates a code from its number.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// Creates a code from its number.
    public init(_ rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = CloseCode(1000)
    /// 1001: an endpoint is going away (server shutdown, page navigation).
    public static let goingAway = CloseCode(1001)
    /// 1002: a protocol error.
    public static let protocolError = CloseCode(1002)
    /// 1003: a data type the endpoint cannot accept.
    public static let unsupportedData = CloseCode(1003)
    /// 1005: no status code was present (never sent on the wire).
    public static let noStatusReceived = CloseCode(1005)
    /// 1006: the connection closed without a close frame (never sent on the wire).
    public static let abnormalClosure = CloseCode(1006)
    /// 1007: a message's data was inconsistent with its type (invalid UTF-8 text).
    public static let invalidPayloadData = CloseCode(1007)
    /// 1008: a message violated the endpoint's policy.
    public static let policyViolation = CloseCode(1008)
    /// 1009: a message was too big to process.
    public static let messageTooBig = CloseCode(1009)
    /// 1010: the client expected an extension the server did not negotiate, or an extension
    /// failed.
    public static let mandatoryExtension = CloseCode(1010)
    /// 1011: the server met an unexpected condition.
    public static let internalError = CloseCode(1011)
    /// 1012: the service is restarting (IANA registry).
    public static let serviceRestart = CloseCode(1012)
    /// 1013: try again later (IANA registry).
    public static let tryAgainLater = CloseCode(1013)
    /// 1014: a gateway received an invalid response (IANA registry).
    public static let badGateway = CloseCode(1014)
    /// 1015: the TLS handshake failed (never sent on the wire).
    public static let tlsHandshakeFailure = CloseCode(1015)

    /// Whether a close frame may carry this code: 1000–1003, 1007–1014 and 3000–4999.
    ///
    /// 1005, 1006 and 1015 are reserved for reporting; 1004 and 1016–2999 are unassigned;
    /// anything below 1000 or above 4999 is invalid (RFC 6455 §7.4.2, IANA registry).
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// The code in decimal, e.g. `1000`.
    public var description: String { String(rawValue) }
}

extension CloseCode: ExpressibleByIntegerLiteral {
    /// A code written as a number: `socket.close(code: 4000)`.
    public init(integerLiteral value: UInt16) {
        self.init(rawValue: value)
    }
}
