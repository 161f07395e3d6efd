public import WebSocketDriver
public import WebSocketExtensions

/// Settings of one WebSocket connection, server or client side.
public struct WebSocketOptions: Sendable {
    /// Subprotocols: a server selects the first the client offers that is listed here; a client
    /// offers them in this order.
    public var protocols: [String] = []

    /// The extensions to negotiate, for example `PermessageDeflate`.
    public var extensions: [any WebSocketExtension] = []

    /// Extra handshake headers (a server's 101 response, a client's request).
    public var headers: HeaderFields = HeaderFields()

    /// The largest message accepted, in bytes, after extensions (1009 beyond it). Default
    /// 2^26 − 1, the Ruby driver's.
    public var maxLength: Int = DriverOptions.defaultMaxLength

    /// Sends a ping every this many seconds while open (`nil`: never). Payloads are `"1"`,
    /// `"2"`, … as in the Ruby gem.
    public var pingInterval: Duration?

    /// With ``pingInterval``: a ping not answered by its pong within this time means the peer is
    /// dead; the connection is closed and the close event reports 1006. `nil`: no check.
    public var pongTimeout: Duration?

    /// How long ``WebSocket/close(code:reason:)`` waits for the peer's close frame before
    /// dropping the connection (close event 1006). Default 30 seconds, as in the Ruby gem.
    public var closeTimeout: Duration = .seconds(30)

    /// How many received messages the ``WebSocket/messages`` sequence buffers before the socket
    /// stops reading (backpressure); reading resumes when the consumer has taken half of them.
    public var messageBufferLimit: Int = 64

    /// The send buffer's high-water mark, in bytes of ``WebSocket/bufferedAmount``: above it the
    /// connection stops reading from the network (so a peer that sends without reading, pings
    /// included, cannot make it queue more replies) until the buffer has drained to half of it.
    /// Messages you send are still accepted. Default 16 MiB.
    public var bufferedAmountHighWaterMark: Int = 16 << 20

    /// The hard limit on ``WebSocket/bufferedAmount``, in bytes: when a send or a reply takes it
    /// past this, the connection is dropped at once (a close frame could not get through the full
    /// buffer) and the close event reports 1008 (policy violation). Must be larger than the
    /// largest message you send. `nil`: no limit. Default 256 MiB.
    public var maxBufferedAmount: Int? = 256 << 20

    /// Creates options with the defaults.
    public init() {}

    /// The driver options these translate to.
    func driverOptions() throws -> DriverOptions {
        var options = DriverOptions()
        options.protocols = protocols
        options.maxLength = maxLength
        options.headers = headers
        for item in extensions { try options.extensions.add(item) }
        return options
    }
}
