/// The header fields of an HTTP message: ordered, with their original case and duplicates.
///
/// A collection of ``HeaderField`` in the order they were received or added. Lookups by name
/// ignore ASCII case, as field names are case-insensitive (RFC 7230 §3.2). Equality compares
/// the fields in order, names with their case.
///
/// ```swift
/// var headers: HeaderFields = ["Upgrade": "websocket", "Connection": "Upgrade"]
/// headers.append(name: "Sec-WebSocket-Protocol", value: "chat")
/// headers["connection"]                                     // "Upgrade"
/// headers.containsToken("upgrade", in: "Connection")        // true
/// ```
public struct HeaderFields: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    private var fields: [HeaderField]

    /// Creates an empty set of header fields.
    public init() {
        fields = []
    }

    /// Creates header fields from `(name, value)` pairs, in order, keeping duplicates.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { HeaderField(name: $0.0, value: $0.1) }
    }

    /// Creates header fields from a dictionary literal, in the order of the literal.
    ///
    /// A literal may repeat a name; every entry is kept.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    // MARK: Collection

    /// The position of the first field (always 0).
    public var startIndex: Int { fields.startIndex }

    /// The position one past the last field (the number of fields).
    public var endIndex: Int { fields.endIndex }

    /// The field at `position`, which must be a valid index.
    public subscript(position: Int) -> HeaderField {
        fields[position]
    }

    // MARK: Lookup

    /// Whether a field named `name` (ASCII case-insensitive) is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.matches($0, name) }
    }

    /// All values of the fields named `name` (ASCII case-insensitive), joined with `", "` in
    /// order, as RFC 7230 §3.2.2 allows for list-valued fields; `nil` if there is none.
    public subscript(name: String) -> String? {
        let values = values(for: name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The values of every field named `name` (ASCII case-insensitive), in order; empty if none.
    public func values(for name: String) -> [String] {
        fields.filter { Self.matches($0, name) }.map(\.value)
    }

    /// The value of the first field named `name` (ASCII case-insensitive), or `nil`.
    public func first(_ name: String) -> String? {
        fields.first { Self.matches($0, name) }?.value
    }

    /// Whether a field named `name` lists `token` among its comma-separated elements.
    ///
    /// Each value of the field is split on commas, spaces and tabs around every element are
    /// trimmed (the `#rule` list syntax of RFC 7230 §7), and the elements are compared with
    /// `token` ASCII case-insensitively. So `Connection: keep-alive, Upgrade` and
    /// `Connection: keep-alive,Upgrade` both contain `upgrade`, while `Connection: Upgradex`
    /// does not. Quoted strings are not interpreted: a comma inside quotes still splits.
    public func containsToken(_ token: String, in name: String) -> Bool {
        let wanted = token.utf8
        for field in fields where Self.matches(field, name) {
            for element in field.value.utf8.split(separator: HTTPHeadSyntax.comma, omittingEmptySubsequences: false) {
                guard let first = element.firstIndex(where: { !HTTPHeadSyntax.isWhitespace($0) }),
                    let last = element.lastIndex(where: { !HTTPHeadSyntax.isWhitespace($0) })
                else {
                    continue
                }
                if HTTPHeadSyntax.equalsIgnoringASCIICase(element[first...last], wanted) {
                    return true
                }
            }
        }
        return false
    }

    // MARK: Mutation

    /// Adds a field at the end, after any field with the same name.
    public mutating func append(name: String, value: String) {
        fields.append(HeaderField(name: name, value: value))
    }

    /// Removes every field named `name` (ASCII case-insensitive).
    public mutating func removeAll(named name: String) {
        fields.removeAll { Self.matches($0, name) }
    }

    /// Sets the field `name` to exactly one value.
    ///
    /// The first field with that name (ASCII case-insensitive) keeps its position and takes the
    /// given name spelling and value; every later field with that name is removed. If there is
    /// none, the field is appended.
    public mutating func replaceOrAdd(name: String, value: String) {
        guard let index = fields.firstIndex(where: { Self.matches($0, name) }) else {
            append(name: name, value: value)
            return
        }
        fields[index] = HeaderField(name: name, value: value)
        fields[fields.index(after: index)...].removeAll { Self.matches($0, name) }
    }

    // MARK: Validation

    /// Whether `name` is a valid field name: a non-empty RFC 7230 §3.2.6 `token`
    /// (ASCII letters, digits, the backtick and `!#$%&'*+-.^_|~`).
    public static func isValidName(_ name: String) -> Bool {
        HTTPHeadSyntax.isToken(name.utf8)
    }

    /// Whether `value` may be sent as a field value (RFC 7230 §3.2): it contains no CR, LF, NUL
    /// or other control character (0x00-0x1F, 0x7F) except HTAB. Non-ASCII text (`obs-text` on
    /// the wire, sent as UTF-8) and an empty value are allowed.
    public static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy(HTTPHeadSyntax.isFieldValueByte)
    }

    private static func matches(_ field: HeaderField, _ name: String) -> Bool {
        HTTPHeadSyntax.equalsIgnoringASCIICase(field.name.utf8, name.utf8)
    }
}
