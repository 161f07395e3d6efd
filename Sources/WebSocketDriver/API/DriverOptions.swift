public import WebSocketExtensions

/// Settings of a driver, for either role unless a property says otherwise.
public struct DriverOptions: Sendable {
    /// The Ruby driver's default `max_length`: 2^26 − 1 bytes (64 MiB).
    public static let defaultMaxLength = 0x3FF_FFFF

    /// The largest message accepted, in bytes: a frame that would make its message longer is
    /// refused before its payload is buffered, and an extension may not produce a longer message
    /// (so an inflated message is bounded too). Exceeding it closes with 1009.
    public var maxLength: Int = DriverOptions.defaultMaxLength

    /// Subprotocols: a server selects the first one the client offers that is in this list; a
    /// client offers them in this order. Hybi only.
    public var protocols: [String] = []

    /// The extensions to negotiate (for example permessage-deflate). Hybi only.
    public var extensions: ExtensionRegistry = ExtensionRegistry()

    /// Extra headers for the handshake: a server adds them to its 101 response, a client to its
    /// request (an `Origin` header goes here). Validated when the driver is created: fields that
    /// ``Driver/setHeader(_:_:)`` would refuse (invalid names or values, names the driver manages
    /// itself) are left out.
    public var headers: HeaderFields = HeaderFields()

    /// Limits on the HTTP head the driver parses (a server's request, a client's response).
    public var httpLimits: HTTPHeadLimits = HTTPHeadLimits()

    /// Creates options with the defaults.
    public init() {}
}
