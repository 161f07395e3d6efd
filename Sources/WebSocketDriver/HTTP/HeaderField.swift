/// One header field of an HTTP message: a name and a value, exactly as sent or as given.
///
/// The name keeps its original case; comparisons by name in ``HeaderFields`` ignore ASCII case
/// (RFC 7230 §3.2). Nothing is validated here: use ``HeaderFields/isValidName(_:)`` and
/// ``HeaderFields/isValidValue(_:)`` before sending user-supplied fields.
public struct HeaderField: Sendable, Hashable {
    /// The field name, e.g. `Sec-WebSocket-Key`, in its original case.
    public var name: String
    /// The field value, without the optional whitespace that surrounded it on the wire.
    public var value: String

    /// Creates a header field with the given name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
