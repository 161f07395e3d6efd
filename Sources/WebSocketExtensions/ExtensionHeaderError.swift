/// Why a `Sec-WebSocket-Extensions` value could not be parsed or serialized.
public enum ExtensionHeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header does not follow the grammar.
    ///
    /// - `excerpt`: the header (cut to at most its first 120 bytes when longer, at a character
    ///   boundary, with `...`).
    /// - `position`: the zero-based byte offset of the first offending byte (the header's
    ///   length when the value ended too early).
    /// - `expected`: what the grammar required at that position.
    case malformed(excerpt: String, position: Int, expected: String)
    /// A name given for serialization is not an RFC 7230 token.
    case invalidName(String)
    /// A parameter value given for serialization contains a byte a quoted-string cannot carry
    /// (a control character other than tab).
    case invalidValue(parameter: String, value: String)

    /// A message naming the header excerpt, the position and what was expected there.
    public var description: String {
        switch self {
        case .malformed(let excerpt, let position, let expected):
            return "Invalid Sec-WebSocket-Extensions header: \(excerpt) "
                + "(at byte \(position): expected \(expected))"
        case .invalidName(let name):
            return "Invalid Sec-WebSocket-Extensions name: \"\(name)\" is not a token"
        case .invalidValue(let parameter, let value):
            return "Invalid Sec-WebSocket-Extensions value for \(parameter): "
                + "\(value.debugDescription) contains a control character"
        }
    }
}
