/// One element of a `Forwarded` field (RFC 7239 §4): what one proxy says about the request
/// it received.
///
/// In `Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43`, the proxy at 203.0.113.43
/// received the request over HTTP from 192.0.2.60. Parameters other than the four of RFC 7239
/// are kept in ``extensions``.
public struct ForwardedElement: Sendable, Hashable, CustomStringConvertible {
    /// A parameter other than `for`, `by`, `host` and `proto`.
    public struct Parameter: Sendable, Hashable {
        /// The name, lowercase.
        public var name: String
        /// The value, unquoted.
        public var value: String

        /// Creates a parameter.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `for`: the node that sent the request to the proxy (the client, or the previous proxy).
    public var forwardedFor: ForwardedNode?
    /// `by`: the proxy's own interface that received the request.
    public var by: ForwardedNode?
    /// `host`: the `Host` field the proxy received, such as `example.com` or
    /// `example.com:8443`.
    public var host: String?
    /// `proto`: the URI scheme of the request the proxy received (`http`, `https`), lowercase.
    public var proto: String?
    /// The other parameters, in order.
    public var extensions: [Parameter]

    /// Creates an element.
    public init(
        forwardedFor: ForwardedNode? = nil, by: ForwardedNode? = nil, host: String? = nil, proto: String? = nil,
        extensions: [Parameter] = []
    ) {
        self.forwardedFor = forwardedFor
        self.by = by
        self.host = host
        self.proto = proto
        self.extensions = extensions
    }

    /// Whether the element has no parameter at all.
    public var isEmpty: Bool {
        forwardedFor == nil && by == nil && host == nil && proto == nil && extensions.isEmpty
    }

    /// The element as a field value:
    /// `for="[2001:db8::1]:4711";by=unknown;host=example.com;proto=https`, then the extensions.
    /// Values are quoted where they are not tokens; absent parameters are left out, so an
    /// empty element prints as an empty string.
    public var description: String {
        var pairs: [String] = []
        if let forwardedFor { pairs.append("for=" + Self.quotedIfNeeded(forwardedFor.description)) }
        if let by { pairs.append("by=" + Self.quotedIfNeeded(by.description)) }
        if let host { pairs.append("host=" + Self.quotedIfNeeded(host)) }
        if let proto { pairs.append("proto=" + Self.quotedIfNeeded(proto)) }
        for parameter in extensions { pairs.append(parameter.name + "=" + Self.quotedIfNeeded(parameter.value)) }
        return pairs.joined(separator: ";")
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        if !value.isEmpty && value.utf8.allSatisfy(FieldSyntax.isTokenByte) { return value }
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// Parses one element (its list commas already split off, white space around it trimmed).
    /// Spaces and tabs around `;` are tolerated; none around `=`.
    static func parse(_ bytes: ByteSlice) -> Result<ForwardedElement, ForwardedHeaderError> {
        var element = ForwardedElement()
        var seen: Set<String> = []
        for pair in FieldSyntax.split(bytes, at: FieldSyntax.semicolon) {
            let pair = FieldSyntax.trimmed(pair)
            if pair.isEmpty { continue }  // `for=a;;by=b` has an empty pair, which is allowed
            guard let equals = pair.firstIndex(of: FieldSyntax.equals) else {
                guard pair.allSatisfy(FieldSyntax.isTokenByte) else {
                    return .failure(.init(reason: .invalidParameterName))
                }
                return .failure(.init(reason: .missingValue(parameter: Self.name(pair[...]))))
            }
            let nameBytes = pair[..<equals]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(FieldSyntax.isTokenByte) else {
                return .failure(.init(reason: .invalidParameterName))
            }
            let fullName = String(decoding: nameBytes.map(Self.lowercased), as: UTF8.self)
            let name = Self.name(nameBytes)
            guard seen.insert(fullName).inserted else {
                return .failure(.init(reason: .duplicateParameter(name)))
            }
            let valueBytes = pair[(equals + 1)...]
            let value: [UInt8]
            if valueBytes.first == FieldSyntax.quote {
                guard let content = FieldSyntax.unquoted(valueBytes) else {
                    return .failure(.init(reason: .invalidValue(parameter: name)))
                }
                value = content
            } else {
                guard !valueBytes.isEmpty, valueBytes.allSatisfy(FieldSyntax.isTokenByte) else {
                    return .failure(.init(reason: .invalidValue(parameter: name)))
                }
                value = Array(valueBytes)
            }
            switch fullName {
            case "for", "by":
                let node = value.withUnsafeBufferPointer { ForwardedNode.parse($0[...]) }
                guard let node else { return .failure(.init(reason: .invalidNode(parameter: name))) }
                if fullName == "for" { element.forwardedFor = node } else { element.by = node }
            case "proto":
                guard let scheme = HostSyntax.scheme(value) else { return .failure(.init(reason: .invalidProtocol)) }
                element.proto = scheme
            case "host":
                guard let host = HostSyntax.host(value) else { return .failure(.init(reason: .invalidHost)) }
                element.host = host
            default:
                element.extensions.append(Parameter(name: fullName, value: String(decoding: value, as: UTF8.self)))
            }
        }
        return .success(element)
    }

    /// A parameter name for messages: lowercase, cut to 32 bytes.
    private static func name(_ bytes: ByteSlice) -> String {
        String(decoding: bytes.prefix(32).map(lowercased), as: UTF8.self)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        FieldSyntax.isAlpha(byte) ? byte | 0x20 : byte
    }
}
