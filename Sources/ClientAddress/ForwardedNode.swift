/// The value of a `for` or `by` parameter of a `Forwarded` element (RFC 7239 §6): a node
/// name and an optional port.
///
/// The text forms: `192.0.2.43`, `192.0.2.43:47011`, `[2001:db8::1]`, `[2001:db8::1]:4711`
/// (IPv6 always in brackets), `unknown`, and obfuscated identifiers such as `_hidden` or
/// `_SEVKISEK:_4711` that a proxy uses to hide or name the real ones. In a field value the
/// forms with `:` or `[` are quoted-strings; ``init(_:)`` takes the text after unquoting.
public struct ForwardedNode: Sendable, Hashable, CustomStringConvertible {
    /// Who the node is.
    public enum Name: Sendable, Hashable {
        /// An IPv4 or IPv6 address.
        case address(IPAddress)
        /// `unknown`: the proxy does not know the node (or will not say).
        case unknown
        /// An obfuscated identifier, `_` followed by letters, digits, `.`, `_` or `-`.
        case obfuscated(String)
    }

    /// The node's port.
    public enum Port: Sendable, Hashable {
        /// A TCP port number.
        case number(UInt16)
        /// An obfuscated port, `_` followed by letters, digits, `.`, `_` or `-`.
        case obfuscated(String)
    }

    /// Who the node is.
    public var name: Name
    /// The node's port, when given.
    public var port: Port?

    /// Creates a node.
    public init(name: Name, port: Port? = nil) {
        self.name = name
        self.port = port
    }

    /// Parses a node from its unquoted text; `nil` when the text is not a node.
    public init?(_ text: some StringProtocol) {
        guard let node = text.withContiguousUTF8({ Self.parse($0[...]) }) else { return nil }
        self = node
    }

    /// The node's address, when it has one.
    public var address: IPAddress? {
        if case .address(let address) = name { return address }
        return nil
    }

    /// The node's port number, when it has a numeric one.
    public var portNumber: UInt16? {
        if case .number(let number) = port { return number }
        return nil
    }

    /// The text form, unquoted: `192.0.2.43:80`, `[2001:db8::1]`, `unknown`, `_hidden`.
    public var description: String {
        var text: String
        switch name {
        case .address(let address): text = address.family == .ipv4 ? "\(address)" : "[\(address)]"
        case .unknown: text = "unknown"
        case .obfuscated(let identifier): text = identifier
        }
        switch port {
        case .number(let number): text += ":\(number)"
        case .obfuscated(let identifier): text += ":" + identifier
        case nil: break
        }
        return text
    }

    static func parse(_ bytes: ByteSlice) -> ForwardedNode? {
        var nameEnd = bytes.endIndex
        let name: Name
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")),
                let bits = AddressText.ipv6(bytes[(bytes.startIndex + 1)..<close])
            else { return nil }
            name = .address(IPAddress(storage: .ipv6(high: bits.high, low: bits.low)))
            nameEnd = close + 1
            guard nameEnd == bytes.endIndex || bytes[nameEnd] == AddressText.colon else { return nil }
        } else {
            nameEnd = bytes.firstIndex(of: AddressText.colon) ?? bytes.endIndex
            let text = bytes[..<nameEnd]
            if let identifier = obfuscated(text) {
                name = .obfuscated(identifier)
            } else if isUnknown(text) {
                name = .unknown
            } else if let value = AddressText.ipv4(text) {
                name = .address(IPAddress(storage: .ipv4(value)))
            } else {
                return nil
            }
        }
        guard nameEnd < bytes.endIndex else { return ForwardedNode(name: name) }
        let portText = bytes[(nameEnd + 1)...]
        if let identifier = obfuscated(portText) {
            return ForwardedNode(name: name, port: .obfuscated(identifier))
        }
        guard let number = AddressText.port(portText, leadingZeros: true) else { return nil }
        return ForwardedNode(name: name, port: .number(number))
    }

    /// `"_" 1*( ALPHA / DIGIT / "." / "_" / "-" )`.
    private static func obfuscated(_ bytes: ByteSlice) -> String? {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "_") else { return nil }
        let valid = bytes.allSatisfy {
            FieldSyntax.isAlpha($0) || FieldSyntax.isDigit($0) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
        return valid ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// `unknown`, in any case (ABNF literals are case-insensitive).
    private static func isUnknown(_ bytes: ByteSlice) -> Bool {
        bytes.count == 7 && zip(bytes, "unknown".utf8).allSatisfy { $0 | 0x20 == $1 }
    }
}
