/// Why the head of an HTTP message could not be parsed (RFC 7230 §3).
///
/// Line numbers count the lines of the head from 1, the start line being line 1 and the first
/// header field line 2 (empty lines ignored before a request line are not counted).
public enum HTTPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The head is longer than ``HTTPHeadLimits/maxHeadLength`` bytes (the associated value).
    case headTooLarge(limit: Int)
    /// The head has more than ``HTTPHeadLimits/maxHeaderCount`` header fields (the associated
    /// value).
    case tooManyHeaders(limit: Int)
    /// The request line (`method SP request-target SP HTTP-version`, RFC 7230 §3.1.1) or status
    /// line (`HTTP-version SP 3DIGIT [SP reason-phrase]`, §3.1.2) does not follow the grammar;
    /// `reason` says how.
    case malformedStartLine(reason: String)
    /// The start line names a well-formed `HTTP/x.y` version other than `HTTP/1.0` and
    /// `HTTP/1.1` (the associated value), e.g. `HTTP/2.0`.
    case unsupportedVersion(String)
    /// A header line is not `field-name ":" OWS field-value OWS` (RFC 7230 §3.2); `reason` says
    /// how, e.g. a missing colon or an empty field name.
    case malformedHeaderLine(line: Int, reason: String)
    /// A header line starts with a space or tab: obsolete line folding, which RFC 7230 §3.2.4
    /// lets a server reject with 400.
    case obsoleteLineFolding(line: Int)
    /// Whitespace stands between a field name and its colon, which RFC 7230 §3.2.4 requires a
    /// server to reject with 400.
    case whitespaceBeforeColon(line: Int)
    /// A byte that the grammar does not allow there: a control character (other than HTAB in a
    /// field value or reason phrase, or a bare CR) anywhere, or a non-`tchar` byte in a field
    /// name.
    case invalidCharacter(line: Int, byte: UInt8)

    /// The status code a server should answer with: 431 (Request Header Fields Too Large,
    /// RFC 6585 §5) for the two size limits, 505 (HTTP Version Not Supported) for an unsupported
    /// version, 400 (Bad Request) otherwise.
    public var suggestedStatus: Int {
        switch self {
        case .headTooLarge, .tooManyHeaders:
            return 431
        case .unsupportedVersion:
            return 505
        case .malformedStartLine, .malformedHeaderLine, .obsoleteLineFolding, .whitespaceBeforeColon,
            .invalidCharacter:
            return 400
        }
    }

    /// A one-line explanation in English.
    public var description: String {
        switch self {
        case .headTooLarge(let limit):
            return "HTTP head too large: it exceeds the limit of \(limit) bytes"
        case .tooManyHeaders(let limit):
            return "Too many HTTP header fields: the limit is \(limit)"
        case .malformedStartLine(let reason):
            return "Malformed HTTP start line: \(reason)"
        case .unsupportedVersion(let version):
            return "Unsupported HTTP version \(version): only HTTP/1.0 and HTTP/1.1 are supported"
        case .malformedHeaderLine(let line, let reason):
            return "Malformed HTTP header field on line \(line): \(reason)"
        case .obsoleteLineFolding(let line):
            return "Obsolete line folding on line \(line): a header line may not start with a space or tab"
        case .whitespaceBeforeColon(let line):
            return "Whitespace between the header field name and the colon on line \(line)"
        case .invalidCharacter(let line, let byte):
            let hex = String(byte, radix: 16, uppercase: true)
            return "Invalid byte 0x\(byte < 0x10 ? "0" : "")\(hex) on line \(line) of the HTTP head"
        }
    }
}
