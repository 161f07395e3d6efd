public import WebSocketExtensions

/// Why a driver failed its connection.
///
/// Every error carries the close code it causes (``closeCode``); errors of a server handshake
/// also carry the HTTP status answered (``httpStatus``). The descriptions follow the Ruby driver's
/// texts where those are right, and are used as the close reason.
public enum ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    // MARK: Server handshake (answered with an HTTP error)

    /// The request head could not be parsed (400, 431 or 505).
    case invalidHTTPRequest(HTTPParseError)
    /// The request is not a WebSocket upgrade: wrong method, HTTP version, `Upgrade` or
    /// `Connection` (400).
    case notWebSocketRequest(String)
    /// `Sec-WebSocket-Version` is not 13 (426 with `Sec-WebSocket-Version: 13`, RFC 6455 §4.4);
    /// the associated value is the client's, `nil` when absent.
    case unsupportedVersion(String?)
    /// A required request header is missing (400).
    case missingHeader(String)
    /// `Sec-WebSocket-Key` is not the base64 form of 16 bytes (400, RFC 6455 §4.2.1).
    case invalidKey(String)
    /// The client's `Sec-WebSocket-Extensions` could not be parsed or answered (400).
    case invalidExtensionOffer(ExtensionError)
    /// draft-76 `Sec-WebSocket-Key1`/`Key2` values are invalid (400).
    case invalidDraft76Keys

    // MARK: Client handshake (close 1002)

    /// The response head could not be parsed.
    case invalidHTTPResponse(HTTPParseError)
    /// The response status is not 101.
    case unexpectedStatus(Int)
    /// The response has no `Upgrade` header.
    case missingUpgradeHeader
    /// The response's `Upgrade` is not `websocket`.
    case invalidUpgradeHeader(String)
    /// The response has no `Connection` header.
    case missingConnectionHeader
    /// The response's `Connection` has no `Upgrade` token.
    case invalidConnectionHeader(String)
    /// `Sec-WebSocket-Accept` does not match the key sent.
    case acceptMismatch
    /// The server chose a subprotocol the client did not offer.
    case protocolMismatch(String)
    /// The server's `Sec-WebSocket-Extensions` was refused.
    case extensionNegotiationFailed(ExtensionError)

    // MARK: Framing (RFC 6455 §5)

    /// A frame set reserved bits no negotiated extension allows (1002).
    case reservedBitsSet(ReservedBits)
    /// A frame used a reserved opcode (1002).
    case unknownOpcode(UInt8)
    /// A control frame had FIN clear (1002).
    case fragmentedControlFrame(Opcode)
    /// A text or binary frame arrived inside an unfinished fragmented message (1002).
    case unfinishedFragmentedMessage
    /// A continuation frame arrived with no message in progress (1002).
    case unexpectedContinuation
    /// A server received an unmasked frame (1002, RFC 6455 §5.1).
    case unmaskedFrame
    /// A client received a masked frame (1002, RFC 6455 §5.1).
    case maskedFrame
    /// A control frame's payload exceeded 125 bytes (1002).
    case controlFrameTooLong(UInt64)
    /// A 64-bit payload length had its most significant bit set (1002, RFC 6455 §5.2).
    case invalidPayloadLength
    /// A frame would make its message exceed `maxLength` (1009).
    case frameTooLarge
    /// A text message or close reason was not valid UTF-8 (1007).
    case invalidUTF8
    /// A close frame had a one-byte payload (1002).
    case invalidClosePayload
    /// A close frame carried a code that may not be sent (1002, RFC 6455 §7.4).
    case invalidCloseCode(UInt16)
    /// An extension failed (1010) or produced too large a message (1009).
    case extensionFailed(ExtensionError)

    /// The close code the failure sends (or reports, when the handshake did not complete).
    public var closeCode: CloseCode {
        switch self {
        case .frameTooLarge: return .messageTooBig
        case .invalidUTF8: return .invalidPayloadData
        case .extensionFailed(.messageTooLarge): return .messageTooBig
        case .extensionFailed: return .mandatoryExtension
        default: return .protocolError
        }
    }

    /// The HTTP status a server answers a failed handshake with; `nil` for other errors.
    public var httpStatus: Int? {
        switch self {
        case .invalidHTTPRequest(let error): return error.suggestedStatus
        case .unsupportedVersion: return 426
        case .notWebSocketRequest, .missingHeader, .invalidKey, .invalidExtensionOffer, .invalidDraft76Keys:
            return 400
        default: return nil
        }
    }

    /// Whether this is a client's failed handshake.
    public var isClientHandshakeError: Bool {
        switch self {
        case .invalidHTTPResponse, .unexpectedStatus, .missingUpgradeHeader, .invalidUpgradeHeader,
            .missingConnectionHeader, .invalidConnectionHeader, .acceptMismatch, .protocolMismatch,
            .extensionNegotiationFailed:
            return true
        default:
            return false
        }
    }

    /// The message the error event and the close reason carry (client handshake failures start with `Error during WebSocket handshake: `, as in the Ruby driver).
    public var description: String {
        if isClientHandshakeError { return "Error during WebSocket handshake: " + detail }
        return detail
    }

    private var detail: String {
        switch self {
        case .invalidHTTPRequest(let error): return "Invalid HTTP request: \(error)"
        case .notWebSocketRequest(let why): return "Not a WebSocket request: \(why)"
        case .unsupportedVersion(let version):
            return "Unsupported WebSocket version: \(version.map { "\"\($0)\"" } ?? "none"); this server speaks 13"
        case .missingHeader(let name): return "Missing handshake request header: \(name)"
        case .invalidKey(let key): return "Invalid Sec-WebSocket-Key: \"\(key)\" is not 16 bytes in base64"
        case .invalidExtensionOffer(let error): return error.description
        case .invalidDraft76Keys: return "Client sent invalid Sec-WebSocket-Key headers"
        case .invalidHTTPResponse(let error): return "Invalid HTTP response: \(error)"
        case .unexpectedStatus(let status): return "Unexpected response code: \(status)"
        case .missingUpgradeHeader: return "'Upgrade' header is missing"
        case .invalidUpgradeHeader: return "'Upgrade' header value is not 'WebSocket'"
        case .missingConnectionHeader: return "'Connection' header is missing"
        case .invalidConnectionHeader: return "'Connection' header value is not 'Upgrade'"
        case .acceptMismatch: return "Sec-WebSocket-Accept mismatch"
        case .protocolMismatch: return "Sec-WebSocket-Protocol mismatch"
        case .extensionNegotiationFailed(let error): return error.description
        case .reservedBitsSet(let bits):
            func bit(_ flag: ReservedBits) -> Int { bits.contains(flag) ? 1 : 0 }
            return "One or more reserved bits are on: reserved1 = \(bit(.rsv1)), "
                + "reserved2 = \(bit(.rsv2)), reserved3 = \(bit(.rsv3))"
        case .unknownOpcode(let opcode): return "Unrecognized frame opcode: \(opcode)"
        case .fragmentedControlFrame(let opcode):
            return "Received fragmented control frame: opcode = \(opcode.rawValue)"
        case .unfinishedFragmentedMessage:
            return "Received new data frame but previous continuous frame is unfinished"
        case .unexpectedContinuation: return "Received unexpected continuation frame"
        case .unmaskedFrame: return "Received unmasked frame but masking is required"
        case .maskedFrame: return "Received masked frame but masking is forbidden from a server"
        case .controlFrameTooLong(let length):
            return "Received control frame having too long payload: \(length)"
        case .invalidPayloadLength: return "Received frame length with the most significant bit set"
        case .frameTooLarge: return "WebSocket frame length too large"
        case .invalidUTF8: return "Could not decode a text frame as UTF-8"
        case .invalidClosePayload: return "Received close frame with a one-byte payload"
        case .invalidCloseCode(let code): return "Received close frame with an invalid status code: \(code)"
        case .extensionFailed(let error): return error.description
        }
    }
}
