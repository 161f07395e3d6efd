/// Why a `Forwarded` field (RFC 7239) could not be parsed.
///
/// A request whose `Forwarded` field is malformed should be served as if the field were
/// absent; ``ForwardedHeader/init(validating:limits:)-(StringProtocol,_)`` does that.
public struct ForwardedHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The field values together are longer than ``ForwardedHeader/Limits/maxLength`` bytes.
        case tooLong(limit: Int)
        /// There are more elements than ``ForwardedHeader/Limits/maxElements``.
        case tooManyElements(limit: Int)
        /// A parameter name is empty or not a token.
        case invalidParameterName
        /// A parameter has no `=` and value.
        case missingValue(parameter: String)
        /// A value is neither a token nor a well-formed quoted-string (an unterminated quote, a
        /// control character, bytes after the closing quote).
        case invalidValue(parameter: String)
        /// A parameter occurs twice in one element.
        case duplicateParameter(String)
        /// A `for` or `by` value is not a node: an IPv4 address, an IPv6 address in brackets,
        /// `unknown` or an obfuscated identifier, each with an optional port.
        case invalidNode(parameter: String)
        /// A `proto` value is not a URI scheme.
        case invalidProtocol
        /// A `host` value is not a host with an optional port.
        case invalidHost
    }

    /// What is wrong.
    public var reason: Reason
    /// The zero-based position of the offending element among the elements of all the field
    /// values (empty list elements not counted); `nil` for the limits on the whole field.
    public var element: Int?

    /// Creates an error.
    public init(reason: Reason, element: Int? = nil) {
        self.reason = reason
        self.element = element
    }

    /// A sentence naming the problem and the element.
    public var description: String {
        let place = element.map { " (element \($0 + 1))" } ?? ""
        switch reason {
        case .tooLong(let limit):
            return "The Forwarded field is longer than \(limit) bytes"
        case .tooManyElements(let limit):
            return "The Forwarded field has more than \(limit) elements"
        case .invalidParameterName:
            return "The Forwarded field has a parameter name that is not a token\(place)"
        case .missingValue(let parameter):
            return "The Forwarded parameter \(parameter) has no value\(place)"
        case .invalidValue(let parameter):
            return "The Forwarded parameter \(parameter) has a value that is neither a token "
                + "nor a quoted-string\(place)"
        case .duplicateParameter(let parameter):
            return "The Forwarded parameter \(parameter) occurs twice in one element\(place)"
        case .invalidNode(let parameter):
            return "The Forwarded parameter \(parameter) is not an address, unknown "
                + "or an obfuscated identifier\(place)"
        case .invalidProtocol:
            return "The Forwarded parameter proto is not a URI scheme\(place)"
        case .invalidHost:
            return "The Forwarded parameter host is not a host name or address with an optional port\(place)"
        }
    }
}
