/// A parsed `Forwarded` field (RFC 7239): the elements the proxies on the request's path
/// appended, the nearest proxy's last.
///
/// ```swift
/// let header = try ForwardedHeader(parsing: #"for=192.0.2.60;proto=https, for="[2001:db8::17]:4711""#)
/// header.elements[1].forwardedFor?.address  // 2001:db8::17
/// ```
///
/// A request may carry several `Forwarded` field lines; pass them all, in order, to
/// `init(parsing:limits:)` with a sequence of field values: they form one list. The grammar is RFC 7239's,
/// strictly: parameters are `name=value` with a token or a quoted-string as the value, at most
/// once per element; `for` and `by` must be nodes (``ForwardedNode``), `proto` a URI scheme,
/// `host` a host with an optional port; other parameters are kept as
/// ``ForwardedElement/extensions``.
/// Two tolerances: empty list elements (`a, , b`) are skipped, as HTTP lists allow, and spaces
/// or tabs around `;` are accepted. A value with `:` or `[` (a port, an IPv6 address) must be
/// quoted: `for=[2001:db8::1]` is malformed.
///
/// Parsing is bounded (``Limits``). A malformed field should make the server ignore it rather
/// than fail the request: ``init(validating:limits:)-(StringProtocol,_)`` returns `nil` then.
/// To learn the client behind trusted proxies, use ``ForwardedIdentityResolver``, which reads
/// the elements from the nearest one and stops at the first malformed one.
public struct ForwardedHeader: Sendable, Hashable, CustomStringConvertible {
    /// The bounds of a parse.
    public struct Limits: Sendable, Hashable {
        /// The largest total size of the field values, in bytes (default 8192).
        public var maxLength: Int
        /// The most elements (default 64).
        public var maxElements: Int

        /// Creates bounds; negative values count as zero.
        public init(maxLength: Int = 8192, maxElements: Int = 64) {
            self.maxLength = max(0, maxLength)
            self.maxElements = max(0, maxElements)
        }
    }

    /// The elements in field order: the first was added by the proxy nearest the client.
    public var elements: [ForwardedElement]

    /// Creates a header from elements.
    public init(elements: [ForwardedElement]) {
        self.elements = elements
    }

    /// Parses the values of all the request's `Forwarded` field lines, in order, as one list.
    /// - Throws: ``ForwardedHeaderError`` for the first malformed element, or a bound exceeded.
    public init(
        parsing fieldValues: some Sequence<some StringProtocol>, limits: Limits = Limits()
    ) throws(ForwardedHeaderError) {
        var elements: [ForwardedElement] = []
        var length = 0
        for value in fieldValues {
            length += value.utf8.count
            guard length <= limits.maxLength else {
                throw ForwardedHeaderError(reason: .tooLong(limit: limits.maxLength))
            }
            let result = value.withContiguousUTF8 { Self.parse($0[...], into: &elements, limits: limits) }
            try result.get()
        }
        self.elements = elements
    }

    /// Parses one `Forwarded` field value.
    /// - Throws: ``ForwardedHeaderError`` for the first malformed element, or a bound exceeded.
    public init(parsing fieldValue: some StringProtocol, limits: Limits = Limits()) throws(ForwardedHeaderError) {
        try self.init(parsing: CollectionOfOne(fieldValue), limits: limits)
    }

    /// Parses the values of all the request's `Forwarded` field lines, or returns `nil` when
    /// they are malformed or exceed the bounds: how a server ignores a bad field.
    public init?(validating fieldValues: some Sequence<some StringProtocol>, limits: Limits = Limits()) {
        guard let header = try? ForwardedHeader(parsing: fieldValues, limits: limits) else { return nil }
        self = header
    }

    /// Parses one `Forwarded` field value, or returns `nil` when it is malformed or exceeds the
    /// bounds.
    public init?(validating fieldValue: some StringProtocol, limits: Limits = Limits()) {
        self.init(validating: CollectionOfOne(fieldValue), limits: limits)
    }

    /// The field value: the elements separated by `, ` (empty elements left out).
    public var description: String {
        elements.filter { !$0.isEmpty }.map(\.description).joined(separator: ", ")
    }

    private static func parse(
        _ bytes: ByteSlice, into elements: inout [ForwardedElement], limits: Limits
    ) -> Result<Void, ForwardedHeaderError> {
        for piece in elementSlices(bytes) where !piece.isEmpty {
            guard elements.count < limits.maxElements else {
                return .failure(ForwardedHeaderError(reason: .tooManyElements(limit: limits.maxElements)))
            }
            switch ForwardedElement.parse(piece) {
            case .success(let element):
                elements.append(element)
            case .failure(var error):
                error.element = elements.count
                return .failure(error)
            }
        }
        return .success(())
    }

    /// The list elements of one field value, trimmed; empty ones included.
    static func elementSlices(_ bytes: ByteSlice) -> [ByteSlice] {
        FieldSyntax.split(bytes, at: FieldSyntax.comma).map(FieldSyntax.trimmed)
    }
}
