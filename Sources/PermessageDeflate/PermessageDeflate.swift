public import WebSocketExtensions

/// The permessage-deflate WebSocket extension (RFC 7692) on the system zlib.
///
/// The value is configuration shared by every connection: register it in an
/// `ExtensionRegistry` on a client, a server, or both. Per connection it
/// creates a session that negotiates the four RFC 7692 parameters and then compresses outgoing
/// and inflates incoming text and binary messages, marking compressed messages with RSV1.
///
/// Options describe both directions from this end's point of view: "ours" is the direction this
/// end compresses, "the peer's" the direction it inflates. On a client, ours is the `client_*`
/// parameters; on a server, the `server_*` ones.
///
/// ```swift
/// var registry = ExtensionRegistry()
/// try registry.add(PermessageDeflate())  // the defaults
/// // or, to spend less memory per connection:
/// // try registry.add(try PermessageDeflate(maxWindowBits: 12, requestMaxWindowBits: 12))
/// ```
///
/// Every option value is validated here, so an invalid configuration fails at once with a
/// ``ConfigurationError`` rather than during a handshake. Negotiation follows RFC 7692 §7
/// exactly (see ``makeClientSession()`` and ``makeServerSession(offers:)``).
public struct PermessageDeflate: WebSocketExtension {
    /// The extension token, `permessage-deflate`.
    public static let extensionName = "permessage-deflate"

    /// zlib's default compression level, `-1`, which zlib currently runs as level 6.
    public static let defaultCompressionLevel = -1

    /// The default zlib memory level, 5 (zlib's own default is 8).
    ///
    /// Measured on JSON chat messages and on text, 5 compresses as well as 8 (within 0.2 %) while
    /// the compressor takes about 144 KiB instead of 256 KiB at a 15-bit window.
    public static let defaultMemoryLevel = 5

    /// The default ``compressionThreshold``: messages shorter than this many bytes are sent
    /// uncompressed. Chosen by measurement; see the module documentation.
    public static let defaultCompressionThreshold = 32

    /// The extension token, `permessage-deflate`.
    public var name: String { Self.extensionName }

    /// RSV1, the bit RFC 7692 §6 assigns to permessage-deflate.
    public var reservedBits: ReservedBits { .rsv1 }

    /// The option values, shared through one reference by every copy of the extension and every
    /// connection's session (a session keeps its configuration while the connection is open).
    private final class Settings: Sendable {
        let compressionLevel: Int
        let memoryLevel: Int
        let strategy: Strategy
        let noContextTakeover: Bool
        let requestNoContextTakeover: Bool
        let maxWindowBits: Int?
        let requestMaxWindowBits: Int?
        let compressionThreshold: Int

        init(
            compressionLevel: Int,
            memoryLevel: Int,
            strategy: Strategy,
            noContextTakeover: Bool,
            requestNoContextTakeover: Bool,
            maxWindowBits: Int?,
            requestMaxWindowBits: Int?,
            compressionThreshold: Int
        ) {
            self.compressionLevel = compressionLevel
            self.memoryLevel = memoryLevel
            self.strategy = strategy
            self.noContextTakeover = noContextTakeover
            self.requestNoContextTakeover = requestNoContextTakeover
            self.maxWindowBits = maxWindowBits
            self.requestMaxWindowBits = requestMaxWindowBits
            self.compressionThreshold = compressionThreshold
        }
    }

    private let settings: Settings

    /// The zlib compression level for our direction: `-1` (zlib's default, level 6) or `0...9`.
    ///
    /// Default ``defaultCompressionLevel``. Local only; never negotiated.
    public var compressionLevel: Int { settings.compressionLevel }

    /// The zlib memory level (`1...9`) for our compressor: the hash table and the block buffer
    /// each take `2^(memoryLevel + 8)` bytes.
    ///
    /// Default ``defaultMemoryLevel``. Local only; never negotiated.
    public var memoryLevel: Int { settings.memoryLevel }

    /// The zlib strategy of our compressor. Default ``Strategy/default``.
    ///
    /// When our direction's window is 8 bits, any strategy that can emit matches further back
    /// than 256 bytes is replaced by ``Strategy/runLength`` (see ``maxWindowBits``).
    public var strategy: Strategy { settings.strategy }

    /// Whether we reset our compression context after every message (our direction's
    /// `*_no_context_takeover`). Default `false`.
    ///
    /// A client offers `client_no_context_takeover`; a server answers
    /// `server_no_context_takeover`. Either way the compressor is released after each message,
    /// which keeps idle connections small at some cost in compression ratio.
    public var noContextTakeover: Bool { settings.noContextTakeover }

    /// Whether we ask the peer to reset its compression context after every message. Default
    /// `false`.
    ///
    /// A client offers `server_no_context_takeover` and, per RFC 7692 §7.1.1.1, fails the
    /// handshake if the server's response does not include it. A server answers
    /// `client_no_context_takeover` (RFC 7692 §7.1.1.2 lets it do so unasked). Our inflater is
    /// then released after each message.
    public var requestNoContextTakeover: Bool { settings.requestNoContextTakeover }

    /// The largest LZ77 window (`8...15` bits) our compressor may use, or `nil` for no limit of
    /// our own (15). Default `nil`.
    ///
    /// A client offers `client_max_window_bits=N` (a bare `client_max_window_bits` when `nil`, so
    /// that the server may lower it). A server applies it silently unless the client offered
    /// `server_max_window_bits`, in which case the response carries the smaller of the two
    /// (never announcing unasked: some Firefox versions failed on that).
    ///
    /// zlib cannot compress with an 8-bit window, so when 8 applies the compressor runs with a
    /// 9-bit window and the ``Strategy/runLength`` strategy (or ``Strategy/huffmanOnly`` if
    /// configured), whose matches never reach further back than one byte: the output always
    /// inflates with a 256-byte window.
    public var maxWindowBits: Int? { settings.maxWindowBits }

    /// The largest LZ77 window (`8...15` bits) we ask the peer's compressor to use, or `nil` to
    /// ask nothing. Default `nil`.
    ///
    /// A client offers `server_max_window_bits=N` and fails the handshake if the response lacks
    /// it (N < 15) or carries a larger value (RFC 7692 §7.1.2.1). A server answers
    /// `client_max_window_bits=M` with M the smaller of this and the client's offered value —
    /// only when the client offered `client_max_window_bits` at all, since RFC 7692 §7.1.2.2
    /// forbids it otherwise.
    public var requestMaxWindowBits: Int? { settings.requestMaxWindowBits }

    /// Outgoing messages shorter than this many bytes are sent uncompressed, without RSV1 (RFC
    /// 7692 §6 lets each message choose). `0` compresses every message, including empty ones.
    ///
    /// Default ``defaultCompressionThreshold``.
    public var compressionThreshold: Int { settings.compressionThreshold }

    /// Creates the extension with every option at its default: level `-1`, memory level 5, the
    /// default strategy, context takeover in both directions, 15-bit windows, and a compression
    /// threshold of ``defaultCompressionThreshold`` bytes. A client offers
    /// `permessage-deflate; client_max_window_bits`.
    public init() {
        self.settings = Settings(
            compressionLevel: Self.defaultCompressionLevel,
            memoryLevel: Self.defaultMemoryLevel,
            strategy: .default,
            noContextTakeover: false,
            requestNoContextTakeover: false,
            maxWindowBits: nil,
            requestMaxWindowBits: nil,
            compressionThreshold: Self.defaultCompressionThreshold
        )
    }

    /// Creates a configured extension.
    ///
    /// - Parameters:
    ///   - compressionLevel: `-1` (zlib's default, level 6) or `0...9`; default `-1`.
    ///   - memoryLevel: `1...9`; default 5.
    ///   - strategy: the zlib strategy; default ``Strategy/default``.
    ///   - noContextTakeover: reset our compressor after each message; default `false`.
    ///   - requestNoContextTakeover: ask the peer to reset its compressor; default `false`.
    ///   - maxWindowBits: our largest window, `8...15`, or `nil`; default `nil`.
    ///   - requestMaxWindowBits: the largest window asked of the peer, `8...15`, or `nil`;
    ///     default `nil`.
    ///   - compressionThreshold: the smallest message size compressed, `>= 0`; default
    ///     ``defaultCompressionThreshold``.
    /// - Throws: ``ConfigurationError`` naming the first invalid value.
    public init(
        compressionLevel: Int = PermessageDeflate.defaultCompressionLevel,
        memoryLevel: Int = PermessageDeflate.defaultMemoryLevel,
        strategy: Strategy = .default,
        noContextTakeover: Bool = false,
        requestNoContextTakeover: Bool = false,
        maxWindowBits: Int? = nil,
        requestMaxWindowBits: Int? = nil,
        compressionThreshold: Int = PermessageDeflate.defaultCompressionThreshold
    ) throws(ConfigurationError) {
        guard (-1...9).contains(compressionLevel) else { throw .invalidCompressionLevel(compressionLevel) }
        guard (1...9).contains(memoryLevel) else { throw .invalidMemoryLevel(memoryLevel) }
        if let maxWindowBits, !WindowBits.range.contains(maxWindowBits) {
            throw .invalidMaxWindowBits(maxWindowBits)
        }
        if let requestMaxWindowBits, !WindowBits.range.contains(requestMaxWindowBits) {
            throw .invalidRequestMaxWindowBits(requestMaxWindowBits)
        }
        guard compressionThreshold >= 0 else { throw .invalidCompressionThreshold(compressionThreshold) }
        self.settings = Settings(
            compressionLevel: compressionLevel,
            memoryLevel: memoryLevel,
            strategy: strategy,
            noContextTakeover: noContextTakeover,
            requestNoContextTakeover: requestNoContextTakeover,
            maxWindowBits: maxWindowBits,
            requestMaxWindowBits: requestMaxWindowBits,
            compressionThreshold: compressionThreshold
        )
    }

    /// Creates a client session, which offers exactly one set of parameters (sorted by name):
    /// `client_max_window_bits` (with ``maxWindowBits`` as its value when set, else bare),
    /// `client_no_context_takeover` if ``noContextTakeover``, `server_max_window_bits=N` if
    /// ``requestMaxWindowBits``, and `server_no_context_takeover` if
    /// ``requestNoContextTakeover``.
    ///
    /// Activation fails (the client fails the handshake) on any response parameter that RFC 7692
    /// §7.1 does not allow: an unknown or repeated name, a value on a `*_no_context_takeover`,
    /// a window outside `8...15` (or without a value, or written with leading zeros),
    /// `client_max_window_bits` larger than offered or not offered at all, and a missing
    /// `server_no_context_takeover` or `server_max_window_bits` that the offer requested (or a
    /// larger `server_max_window_bits`).
    public func makeClientSession() -> (any ClientExtensionSession)? {
        PermessageDeflateClientSession(configuration: self)
    }

    /// Creates a server session for the first of the client's offers that is valid, or returns
    /// `nil` (declining silently) when none is.
    ///
    /// An offer is skipped when it has an unknown or repeated parameter, a value on a
    /// `*_no_context_takeover`, `server_max_window_bits` without a value, or a window outside
    /// `8...15` (non-numeric, signed, or with leading zeros), as RFC 7692 §7 requires. The
    /// response is built as described in ``noContextTakeover``, ``requestNoContextTakeover``,
    /// ``maxWindowBits`` and ``requestMaxWindowBits``; it echoes `server_max_window_bits`
    /// whenever the client offered it, and includes `server_no_context_takeover` whenever the
    /// client asked for it.
    public func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        for parameters in offers {
            guard let offer = try? DeflateParameters(parameters, role: .offer) else { continue }
            return PermessageDeflateServerSession(configuration: self, offer: offer)
        }
        return nil
    }
}
