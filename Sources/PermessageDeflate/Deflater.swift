internal import CZlib

/// A raw DEFLATE compressor (one zlib `deflate` stream) that compresses whole messages as RFC
/// 7692 §7.2.1 describes: the message, a sync flush, and the flush's trailing `00 00 ff ff`
/// removed. The zlib stream is allocated on creation and freed on deinit.
final class Deflater {
    /// The `00 00 ff ff` that ends a sync flush and that RFC 7692 §7.2.1 strips.
    static let flushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// The arguments of `deflateInit2`.
    struct Settings: Hashable {
        /// `-1` or `0...9`.
        var level: Int
        /// `9...15` (zlib refuses 8 for raw deflate).
        var windowBits: Int
        /// `1...9`.
        var memoryLevel: Int
        /// The zlib strategy.
        var strategy: PermessageDeflate.Strategy
    }

    /// The settings the stream was created with.
    let settings: Settings
    private let stream: UnsafeMutablePointer<z_stream>
    /// The mapping that holds the stream's memory, when it has one of its own.
    private let arena: ZlibArena?

    /// Creates a compressor, primed with `dictionary` (the window saved by ``window()`` before
    /// an idle release) when it is not empty, so that the next message may refer back to it.
    /// With `ownMapping`, zlib's memory comes from a ``ZlibArena`` (for a stream that lives
    /// across messages), else from the heap.
    /// - Throws: ``PermessageDeflate/ProcessingError/zlibFailure(function:code:message:)`` if
    ///   zlib refuses the settings or cannot allocate the stream.
    init(
        settings: Settings, dictionary: ArraySlice<UInt8> = [], ownMapping: Bool = false
    ) throws(PermessageDeflate.ProcessingError) {
        // The stream is only stored once initialised: a throw before every property is set
        // does not run deinit, so the failure path frees it here, exactly once.
        let stream = ZlibStream.allocate()
        let arena =
            ownMapping
            ? ZlibArena.map(
                capacity: ZlibArena.deflateCapacity(windowBits: settings.windowBits, memoryLevel: settings.memoryLevel))
            : nil
        arena?.install(on: stream)
        let status = deflateInit2_(
            stream,
            Int32(settings.level),
            Z_DEFLATED,
            -Int32(settings.windowBits),
            Int32(settings.memoryLevel),
            settings.strategy.zlibValue,
            ZLIB_VERSION,
            ZlibStream.streamSize
        )
        guard status == Z_OK else {
            let message = ZlibStream.message(stream)
            ZlibStream.deallocate(stream)
            arena?.unmap()
            throw .zlibFailure(function: "deflateInit2", code: status, message: message)
        }
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(stream, $0.baseAddress, UInt32($0.count))
            }
            guard status == Z_OK else {
                let message = ZlibStream.message(stream)
                deflateEnd(stream)
                ZlibStream.deallocate(stream)
                arena?.unmap()
                throw .zlibFailure(function: "deflateSetDictionary", code: status, message: message)
            }
        }
        self.settings = settings
        self.stream = stream
        self.arena = arena
    }

    deinit {
        deflateEnd(stream)
        ZlibStream.deallocate(stream)
        arena?.unmap()
    }

    /// The bytes of the compressor's window: the last bytes compressed, at most the window size
    /// and exactly as many as were ever compressed when fewer. Everything is flushed after each
    /// message, so this is all the state that context takeover needs.
    /// - Throws: ``PermessageDeflate/ProcessingError/zlibFailure(function:code:message:)`` if
    ///   zlib refuses (its version is older than 1.2.9).
    func window() throws(PermessageDeflate.ProcessingError) -> [UInt8] {
        var length: UInt32 = 0
        var status = deflateGetDictionary(stream, nil, &length)
        guard status == Z_OK else {
            throw .zlibFailure(function: "deflateGetDictionary", code: status, message: ZlibStream.message(stream))
        }
        let window = [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, count in
            var copied: UInt32 = 0
            status = deflateGetDictionary(stream, buffer.baseAddress, &copied)
            count = status == Z_OK ? min(Int(copied), buffer.count) : 0
        }
        guard status == Z_OK, window.count == Int(length) else {
            throw .zlibFailure(function: "deflateGetDictionary", code: status, message: ZlibStream.message(stream))
        }
        return window
    }

    /// Compresses one whole non-empty message and returns its RFC 7692 payload.
    ///
    /// The output buffer starts at zlib's bound for messages up to 4 KiB (one pass, no growth)
    /// and at a quarter of the input for larger ones, then doubles as needed.
    func compress(_ input: [UInt8]) throws(PermessageDeflate.ProcessingError) -> [UInt8] {
        let bound = Int(deflateBound(stream, uLong(input.count))) + Self.flushTail.count + 8
        let initialCapacity = input.count <= 4096 ? bound : min(bound, max(4096, input.count / 4))
        var output = try input.withUnsafeBufferPointer { (buffer) throws(PermessageDeflate.ProcessingError) in
            try compress(UnsafeRawBufferPointer(buffer), initialCapacity: initialCapacity)
        }
        guard output.count >= Self.flushTail.count, output.suffix(Self.flushTail.count).elementsEqual(Self.flushTail)
        else {
            throw .zlibFailure(function: "deflate", code: Z_STREAM_ERROR, message: "sync flush marker missing")
        }
        output.removeLast(Self.flushTail.count)
        return output
    }

    private func compress(
        _ input: UnsafeRawBufferPointer,
        initialCapacity: Int
    ) throws(PermessageDeflate.ProcessingError) -> [UInt8] {
        var consumed = 0
        stream.pointee.avail_in = 0
        let result = try GrowingOutput.collect(initialCapacity: initialCapacity, maximumCapacity: Int.max) {
            (space) throws(PermessageDeflate.ProcessingError) -> GrowingOutput.Step in
            let offered = ZlibStream.setOutput(stream, space)
            while true {
                if stream.pointee.avail_in == 0 && consumed < input.count {
                    let chunk = min(input.count - consumed, ZlibStream.maximumChunk)
                    let start = input.baseAddress.map { $0 + consumed }
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: start?.assumingMemoryBound(to: Bytef.self))
                    stream.pointee.avail_in = UInt32(chunk)
                    consumed += chunk
                }
                let flush = consumed == input.count ? Z_SYNC_FLUSH : Z_NO_FLUSH
                let status = deflate(stream, flush)
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw .zlibFailure(function: "deflate", code: status, message: ZlibStream.message(stream))
                }
                let written = offered - Int(stream.pointee.avail_out)
                if stream.pointee.avail_out == 0 { return GrowingOutput.Step(written: written, finished: false) }
                if flush == Z_SYNC_FLUSH { return GrowingOutput.Step(written: written, finished: true) }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return result.bytes
    }
}
