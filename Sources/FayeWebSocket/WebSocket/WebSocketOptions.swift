import NIOConcurrencyHelpers
public import WebSocketDriver
public import WebSocketExtensions

/// Settings of one WebSocket connection, server or client side.
public struct WebSocketOptions: Sendable {
    /// The option values. Every copy of the options (one per connection) shares one
    /// ``Storage``, copied on write, so an open connection holds a single reference to them.
    struct Values {
        var protocols: [String] = []
        var extensions: [any WebSocketExtension] = []
        var headers: HeaderFields = HeaderFields()
        var maxLength: Int = DriverOptions.defaultMaxLength
        var pingInterval: Duration?
        var pongTimeout: Duration?
        var closeTimeout: Duration = .seconds(30)
        var messageBufferLimit: Int = 64
        var bufferedAmountHighWaterMark: Int = 16 << 20
        var maxBufferedAmount: Int? = 256 << 20
        var extensionIdleRelease: Duration? = WebSocketOptions.defaultExtensionIdleRelease
    }

    /// The shared values and the driver options made from them (once, not per connection).
    /// Mutated only while uniquely referenced (copy on write); read-only once shared.
    final class Storage: @unchecked Sendable {
        var values: Values
        private let cachedDriverOptions = NIOLockedValueBox<DriverOptions?>(nil)

        init(_ values: Values) {
            self.values = values
        }

        /// The driver options these values translate to, made on first use.
        func driverOptions() throws -> DriverOptions {
            if let cached = cachedDriverOptions.withLockedValue({ $0 }) { return cached }
            var options = DriverOptions()
            options.protocols = values.protocols
            options.maxLength = values.maxLength
            options.headers = values.headers
            for item in values.extensions { try options.extensions.add(item) }
            cachedDriverOptions.withLockedValue { $0 = options }
            return options
        }

        /// Forgets the cached driver options (before an in-place mutation).
        func valuesWillChange() {
            cachedDriverOptions.withLockedValue { $0 = nil }
        }
    }

    private var storage = Storage(Values())

    /// Subprotocols: a server selects the first the client offers that is listed here; a client
    /// offers them in this order.
    public var protocols: [String] {
        get { storage.values.protocols }
        set { mutate { $0.protocols = newValue } }
    }

    /// The extensions to negotiate, for example `PermessageDeflate`.
    public var extensions: [any WebSocketExtension] {
        get { storage.values.extensions }
        set { mutate { $0.extensions = newValue } }
    }

    /// Extra handshake headers (a server's 101 response, a client's request).
    public var headers: HeaderFields {
        get { storage.values.headers }
        set { mutate { $0.headers = newValue } }
    }

    /// The largest message accepted, in bytes, after extensions (1009 beyond it). Default
    /// 2^26 − 1, the Ruby driver's.
    public var maxLength: Int {
        get { storage.values.maxLength }
        set { mutate { $0.maxLength = newValue } }
    }

    /// Sends a ping every this many seconds while open (`nil`: never). Payloads are `"1"`,
    /// `"2"`, … as in the Ruby gem.
    public var pingInterval: Duration? {
        get { storage.values.pingInterval }
        set { mutate { $0.pingInterval = newValue } }
    }

    /// With ``pingInterval``: a ping not answered by its pong within this time means the peer is
    /// dead; the connection is closed and the close event reports 1006. `nil`: no check.
    public var pongTimeout: Duration? {
        get { storage.values.pongTimeout }
        set { mutate { $0.pongTimeout = newValue } }
    }

    /// How long ``WebSocket/close(code:reason:)`` waits for the peer's close frame before
    /// dropping the connection (close event 1006). Default 30 seconds, as in the Ruby gem.
    public var closeTimeout: Duration {
        get { storage.values.closeTimeout }
        set { mutate { $0.closeTimeout = newValue } }
    }

    /// How many received messages the ``WebSocket/messages`` sequence buffers before the socket
    /// stops reading (backpressure); reading resumes when the consumer has taken half of them.
    public var messageBufferLimit: Int {
        get { storage.values.messageBufferLimit }
        set { mutate { $0.messageBufferLimit = newValue } }
    }

    /// The send buffer's high-water mark, in bytes of ``WebSocket/bufferedAmount``: above it the
    /// connection stops reading from the network (so a peer that sends without reading, pings
    /// included, cannot make it queue more replies) until the buffer has drained to half of it.
    /// Messages you send are still accepted. Default 16 MiB.
    public var bufferedAmountHighWaterMark: Int {
        get { storage.values.bufferedAmountHighWaterMark }
        set { mutate { $0.bufferedAmountHighWaterMark = newValue } }
    }

    /// The hard limit on ``WebSocket/bufferedAmount``, in bytes: when a send or a reply takes it
    /// past this, the connection is dropped at once (a close frame could not get through the full
    /// buffer) and the close event reports 1008 (policy violation). Must be larger than the
    /// largest message you send. `nil`: no limit. Default 256 MiB.
    public var maxBufferedAmount: Int? {
        get { storage.values.maxBufferedAmount }
        set { mutate { $0.maxBufferedAmount = newValue } }
    }

    /// The default ``extensionIdleRelease``: 5 seconds.
    ///
    /// Restoring released permessage-deflate streams costs the next message about 100 µs with
    /// full 32 KiB windows (measured by `faye-bench deflate`, see `Docs/PermessageDeflate.md`);
    /// once per 5 idle seconds at most, that is a negligible share of a connection's work, while
    /// the memory saved (about 35 KiB for a connection that exchanged one 1 KiB message, more for
    /// busier ones) is kept for the rest of the idle time.
    public static let defaultExtensionIdleRelease: Duration = .seconds(5)

    /// After how long without a message, sent or received, the negotiated extensions give back
    /// the memory they hold only to go faster (`Driver.releaseIdleState()`): permessage-deflate
    /// ends its zlib streams and keeps only their windows, so an idle connection costs a few KiB
    /// instead of tens, and context takeover loses nothing. The release happens between one and
    /// two such periods after the last message; the next message restores the state. `nil`:
    /// never. Default ``defaultExtensionIdleRelease``.
    public var extensionIdleRelease: Duration? {
        get { storage.values.extensionIdleRelease }
        set { mutate { $0.extensionIdleRelease = newValue } }
    }

    /// Creates options with the defaults.
    public init() {}

    private mutating func mutate(_ change: (inout Values) -> Void) {
        if isKnownUniquelyReferenced(&storage) {
            storage.valuesWillChange()
        } else {
            storage = Storage(storage.values)
        }
        change(&storage.values)
    }

    /// The driver options these translate to (made once per shared set of values).
    func driverOptions() throws -> DriverOptions {
        try storage.driverOptions()
    }
}
