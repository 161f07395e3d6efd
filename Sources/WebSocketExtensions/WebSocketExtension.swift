/// The kind of an extension. The framework runs per-message extensions only (RFC 7692 style).
public struct ExtensionType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's name, e.g. `permessage`.
    public let rawValue: String

    /// Creates a type from its name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `permessage`: the extension transforms whole messages. The only type the registry accepts.
    public static let perMessage = ExtensionType(rawValue: "permessage")

    /// The type's name.
    public var description: String { rawValue }
}

/// A WebSocket extension that can be registered with an ``ExtensionRegistry``.
///
/// The extension value is configuration shared by every connection (hence `Sendable`); per
/// connection it creates sessions that hold the state (for permessage-deflate, the zlib streams).
///
/// A client creates one session per connection and asks it for offers; a server hands the
/// client's offers for this extension to ``makeServerSession(offers:)``, which picks one or
/// declines.
public protocol WebSocketExtension: Sendable {
    /// The extension token used in `Sec-WebSocket-Extensions`, e.g. `permessage-deflate`.
    var name: String { get }
    /// The extension's type; defaults to ``ExtensionType/perMessage``.
    var type: ExtensionType { get }
    /// The frame header bits the extension uses. Two active extensions never share a bit.
    var reservedBits: ReservedBits { get }

    /// Creates the session for one client connection, or `nil` to offer nothing.
    func makeClientSession() -> (any ClientExtensionSession)?

    /// Creates the session for one server connection from the client's offers for this
    /// extension, in header order; returns `nil` to decline them all.
    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)?
}

extension WebSocketExtension {
    /// Per-message, the only type the framework runs.
    public var type: ExtensionType { .perMessage }
}
