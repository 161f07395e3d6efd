internal import WebSocketExtensions

/// The message processing of one connection: compresses outgoing and inflates incoming messages
/// with the negotiated parameters.
///
/// zlib streams are created on first use. A direction without context takeover releases its
/// stream after every message; ``releaseIdleState()`` ends the streams of an idle connection
/// and keeps only their windows (exactly the bytes zlib holds, at most `2^windowBits` each),
/// which prime the streams created for the next message, so context takeover loses nothing;
/// ``close()`` releases everything, and the streams' own deinit frees anything left.
///
/// A value stored inline in its session (one object per connection, not two); the
/// configuration is one shared reference.
struct DeflateCodec {
    let configuration: PermessageDeflate
    let parameters: NegotiatedParameters
    private var deflater: Deflater?
    private var inflater: Inflater?
    private var isClosed = false
    /// The windows saved by ``releaseIdleState()`` while the streams are released.
    private var saved = SavedWindows()

    /// How many compressor streams were created so far (observable by tests).
    private(set) var deflateStreamsCreated = 0
    /// How many decompressor streams were created so far (observable by tests).
    private(set) var inflateStreamsCreated = 0

    init(configuration: PermessageDeflate, parameters: NegotiatedParameters) {
        self.configuration = configuration
        self.parameters = parameters
    }

    /// Whether a compressor stream is allocated.
    var hasDeflateStream: Bool { deflater != nil }

    /// Whether a decompressor stream is allocated.
    var hasInflateStream: Bool { inflater != nil }

    /// The bytes kept for context takeover while the streams are released (observable by tests
    /// and measurements).
    var savedWindowBytes: Int { saved.count }

    /// The arguments our compressor is created with. The window is the negotiated one, but at
    /// least 9, since zlib cannot deflate with 8 bits; when 8 was negotiated, the strategy is one
    /// whose matches never reach further back than one byte, so the output stays within 256
    /// bytes.
    var deflaterSettings: Deflater.Settings {
        var strategy = configuration.strategy
        if parameters.outgoing.windowBits < WindowBits.zlibMinimum && !strategy.keepsMatchesWithinOneByte {
            strategy = .runLength
        }
        return Deflater.Settings(
            level: configuration.compressionLevel,
            windowBits: max(WindowBits.zlibMinimum, parameters.outgoing.windowBits),
            memoryLevel: configuration.memoryLevel,
            strategy: strategy
        )
    }

    /// The zlib window our decompressor runs with: the negotiated one, but at least 9.
    var inflateWindowBits: Int { max(WindowBits.zlibMinimum, parameters.incoming.windowBits) }

    /// Compresses a text or binary message at or above the threshold and sets RSV1; returns
    /// anything else unchanged.
    ///
    /// An empty message compresses to the single byte `00` (RFC 7692 §7.2.3.6), without touching
    /// zlib.
    mutating func processOutgoing(_ message: Message) throws(PermessageDeflate.ProcessingError) -> Message {
        guard !isClosed else { throw .sessionClosed }
        guard message.opcode.isData, message.payload.count >= configuration.compressionThreshold else {
            return message
        }
        var compressed = message
        compressed.reservedBits.insert(.rsv1)
        if message.payload.isEmpty {
            compressed.payload = [0x00]
        } else {
            do {
                compressed.payload = try activeDeflater().compress(message.payload)
            } catch {
                deflater = nil
                throw error
            }
        }
        if parameters.outgoing.noContextTakeover { deflater = nil }
        return compressed
    }

    /// Inflates a message with RSV1 set and clears the bit; returns anything else unchanged.
    ///
    /// - Throws: ``WebSocketExtensions/ExtensionMessageTooLarge`` once the output would exceed
    ///   `maxLength` bytes, or ``PermessageDeflate/ProcessingError``.
    mutating func processIncoming(_ message: Message, maxLength: Int) throws -> Message {
        guard !isClosed else { throw PermessageDeflate.ProcessingError.sessionClosed }
        guard message.opcode.isData, message.reservedBits.contains(.rsv1) else { return message }
        var inflated = message
        inflated.reservedBits.remove(.rsv1)
        // A zero-length payload holds no DEFLATE data at all: it is an empty message.
        guard !message.payload.isEmpty else { return inflated }
        do {
            inflated.payload = try activeInflater().inflate(message.payload, limit: maxLength)
        } catch {
            inflater = nil
            switch error {
            case .tooLarge: throw ExtensionMessageTooLarge(limit: maxLength)
            case .processing(let failure): throw failure
            }
        }
        if parameters.incoming.noContextTakeover { inflater = nil }
        return inflated
    }

    /// Ends the zlib streams between messages and keeps only their windows, so that an idle
    /// connection holds a few KiB instead of zlib's full state; the next message creates a
    /// stream primed with the saved window, and compresses or inflates exactly as if nothing had
    /// been released.
    ///
    /// A stream whose window zlib cannot hand over (older than 1.2.9) is kept: releasing the
    /// decompressor would lose the peer's context. Does nothing once closed.
    mutating func releaseIdleState() {
        guard !isClosed, ZlibStream.supportsWindowExport else { return }
        let deflateWindow = try? deflater?.window()
        let inflateWindow = try? inflater?.window()
        guard deflateWindow != nil || inflateWindow != nil else { return }
        // Both windows are saved before either stream is freed, in one allocation.
        saved.store(deflate: deflateWindow, inflate: inflateWindow)
        if deflateWindow != nil { deflater = nil }
        if inflateWindow != nil { inflater = nil }
    }

    /// Releases both zlib streams; later processing fails with
    /// ``PermessageDeflate/ProcessingError/sessionClosed``. Calling it again does nothing.
    mutating func close() {
        isClosed = true
        deflater = nil
        inflater = nil
        saved.removeAll()
    }

    private mutating func activeDeflater() throws(PermessageDeflate.ProcessingError) -> Deflater {
        if let deflater { return deflater }
        let created = try Deflater(
            settings: deflaterSettings, dictionary: saved.deflateWindow,
            ownMapping: !parameters.outgoing.noContextTakeover)
        saved.dropDeflateWindow()
        deflater = created
        deflateStreamsCreated += 1
        return created
    }

    private mutating func activeInflater() throws(Inflater.Failure) -> Inflater {
        if let inflater { return inflater }
        do {
            let created = try Inflater(
                windowBits: inflateWindowBits, dictionary: saved.inflateWindow,
                ownMapping: !parameters.incoming.noContextTakeover)
            saved.dropInflateWindow()
            inflater = created
            inflateStreamsCreated += 1
            return created
        } catch {
            throw .processing(error)
        }
    }
}
