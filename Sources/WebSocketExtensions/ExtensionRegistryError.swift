/// Why ``ExtensionRegistry/add(_:)`` refused an extension.
public enum ExtensionRegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is not an RFC 7230 token.
    case invalidName(String)
    /// The type is not ``ExtensionType/perMessage``.
    case unsupportedType(name: String, type: ExtensionType)
    /// The reserved-bit claim holds bits other than RSV1, RSV2 and RSV3.
    case invalidReservedBits(name: String, rawValue: UInt8)
    /// An extension with the same name is already registered.
    case duplicateName(String)

    /// A message naming the extension and the rule it breaks.
    public var description: String {
        switch self {
        case .invalidName(let name):
            return "Extension name \"\(name)\" is not a valid token"
        case .unsupportedType(let name, let type):
            return "Extension \"\(name)\" has type \"\(type)\"; only \"permessage\" is supported"
        case .invalidReservedBits(let name, let rawValue):
            return "Extension \"\(name)\" claims reserved bits 0x\(String(rawValue, radix: 16)); "
                + "only RSV1 (0x40), RSV2 (0x20) and RSV3 (0x10) exist"
        case .duplicateName(let name):
            return "An extension with name \"\(name)\" is already registered"
        }
    }
}
