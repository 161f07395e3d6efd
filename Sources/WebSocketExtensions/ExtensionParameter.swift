/// One parameter of an extension in a `Sec-WebSocket-Extensions` header: `name` or
/// `name=value` (RFC 6455 §9.1).
///
/// The value is kept unescaped; whether it was written as a token or a quoted-string is a matter
/// of serialization (see ``ExtensionHeader``), so a value reads the same either way, as RFC 7692
/// §7.1 requires of its parameters.
public struct ExtensionParameter: Hashable, Sendable, CustomStringConvertible {
    /// The parameter name, a token.
    public var name: String
    /// The value, or `nil` for a bare flag such as `server_no_context_takeover`.
    public var value: String?

    /// Creates a parameter.
    /// - Parameters:
    ///   - name: the parameter name; it must be an RFC 7230 token to be serialized.
    ///   - value: the value, or `nil` for a flag.
    public init(_ name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Creates a parameter with a decimal integer value.
    public init(_ name: String, value: Int) {
        self.name = name
        self.value = String(value)
    }

    /// Whether the parameter is a bare flag (has no value).
    public var isFlag: Bool { value == nil }

    /// The value read as a decimal integer: an optional `-` and digits without leading zeros.
    ///
    /// `nil` for a flag, for a value such as `015`, `1.5`, `1e5` or `+1`, and on overflow.
    public var integerValue: Int? {
        guard let value else { return nil }
        return ExtensionParameter.parseInteger(value)
    }

    static func parseInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, first.isASCII, first.isNumber else { return nil }
        if first == "0" && digits.count > 1 { return nil }
        guard digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(negative ? "-" + digits : String(digits))
    }

    /// The parameter as it is serialized: `name` or `name=value` (quoted when needed).
    public var description: String {
        var text = ""
        ExtensionHeader.append(self, to: &text)
        return text
    }
}
