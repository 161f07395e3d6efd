/// The ordered parameters of one extension offer or response.
///
/// Order is kept as written and a repeated parameter keeps every value, so that an extension can
/// reject duplicates (RFC 7692 §7 requires it) and serialization reproduces the header.
public struct ExtensionParameters: RandomAccessCollection, Hashable, Sendable,
    ExpressibleByArrayLiteral, CustomStringConvertible
{
    /// The parameters in header order.
    public var elements: [ExtensionParameter]

    /// Creates parameters from a list, in order.
    public init(_ elements: [ExtensionParameter] = []) {
        self.elements = elements
    }

    /// Creates a parameter list from a literal, in order: `[ExtensionParameter("key", value: 1)]`.
    public init(arrayLiteral elements: ExtensionParameter...) {
        self.elements = elements
    }

    /// The position of the first parameter.
    public var startIndex: Int { elements.startIndex }
    /// The position after the last parameter.
    public var endIndex: Int { elements.endIndex }
    /// The parameter at `position`, in header order.
    public subscript(position: Int) -> ExtensionParameter { elements[position] }

    /// Appends a parameter.
    public mutating func append(_ parameter: ExtensionParameter) {
        elements.append(parameter)
    }

    /// Whether a parameter with this name is present.
    public func contains(_ name: String) -> Bool {
        elements.contains { $0.name == name }
    }

    /// Every value given for `name`, in order; `nil` entries are bare flags. Empty if absent.
    public func values(for name: String) -> [String?] {
        elements.filter { $0.name == name }.map(\.value)
    }

    /// The first parameter named `name`, if any.
    public func first(named name: String) -> ExtensionParameter? {
        elements.first { $0.name == name }
    }

    /// The names that appear more than once, each listed once, in order of first repetition.
    public var repeatedNames: [String] {
        var seen = Set<String>()
        var repeated: [String] = []
        for parameter in elements where !seen.insert(parameter.name).inserted {
            if !repeated.contains(parameter.name) { repeated.append(parameter.name) }
        }
        return repeated
    }

    /// The parameters serialized as `a; b=1; c="x y"` (no extension name).
    public var description: String {
        var text = ""
        for (index, parameter) in elements.enumerated() {
            if index > 0 { text += "; " }
            ExtensionHeader.append(parameter, to: &text)
        }
        return text
    }
}
