/// Why a handshake header could not be set.
public enum HeaderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is not an HTTP token.
    case invalidName(String)
    /// The value contains CR, LF, NUL or another control character.
    case invalidValue(name: String)
    /// The driver writes this header itself (for example `Upgrade` or `Sec-WebSocket-Accept`).
    case managedByDriver(String)
    /// The handshake was already sent.
    case handshakeAlreadySent

    /// A message naming the header and what is wrong with it.
    public var description: String {
        switch self {
        case .invalidName(let name): return "Invalid header name \(name.debugDescription): not an HTTP token"
        case .invalidValue(let name): return "Invalid value for header \(name): contains a control character"
        case .managedByDriver(let name): return "Header \(name) is written by the driver and cannot be set"
        case .handshakeAlreadySent: return "Headers cannot be set once the handshake has been sent"
        }
    }

    /// Header names the driver writes itself.
    static let managedNames: [String] = [
        "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-accept",
        "sec-websocket-protocol", "sec-websocket-extensions", "sec-websocket-key1", "sec-websocket-key2",
        "sec-websocket-origin", "sec-websocket-location", "websocket-origin", "websocket-location",
    ]

    /// Checks a user-supplied header.
    static func validate(name: String, value: String) throws(HeaderError) {
        guard HeaderFields.isValidName(name) else { throw .invalidName(name) }
        guard HeaderFields.isValidValue(value) else { throw .invalidValue(name: name) }
        guard !managedNames.contains(name.lowercased()) else { throw .managedByDriver(name) }
    }
}
