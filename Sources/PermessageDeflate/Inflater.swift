internal import CZlib

/// A raw DEFLATE decompressor (one zlib `inflate` stream) that inflates whole messages as RFC
/// 7692 §7.2.2 describes: the payload followed by `00 00 ff ff`. The zlib stream is allocated on
/// creation (zlib allocates the window itself on first use) and freed on deinit.
final class Inflater {
    /// Why ``inflate(_:limit:)`` failed.
    enum Failure: Error, Equatable {
        /// The output would exceed the limit.
        case tooLarge
        /// zlib failed, or the data is invalid.
        case processing(PermessageDeflate.ProcessingError)
    }

    /// Output buffers double up to this size (1 MiB); a larger message's buffer is reserved at
    /// the limit at once, so inflating costs the bytes produced (see
    /// ``GrowingOutput/collect(initialCapacity:maximumCapacity:directAbove:_:)``).
    static let geometricGrowthLimit = 1 << 20

    /// The largest limit reserved at once (256 MiB): a larger one could ask the system for more
    /// address space than it grants, so its output keeps doubling.
    static let directReservationLimit = 256 << 20

    /// The largest window zlib can give back through `inflateGetDictionary`.
    private static let windowCapacity = 1 << WindowBits.maximum

    private let stream: UnsafeMutablePointer<z_stream>
    /// The mapping that holds the stream's memory, when it has one of its own.
    private let arena: ZlibArena?

    /// The capacity of the largest output buffer allocated so far, for tests of the bound.
    private(set) var largestOutputCapacity = 0

    /// Creates a decompressor for a peer whose window is at most `windowBits` (`9...15`), primed
    /// with `dictionary` (the window saved by ``window()`` before an idle release) when it is
    /// not empty, so that the peer's next message may refer back to it.
    /// With `ownMapping`, zlib's memory comes from a ``ZlibArena`` (for a stream that lives
    /// across messages), else from the heap.
    /// - Throws: ``PermessageDeflate/ProcessingError/zlibFailure(function:code:message:)`` if
    ///   zlib cannot allocate the stream.
    init(
        windowBits: Int, dictionary: ArraySlice<UInt8> = [], ownMapping: Bool = false
    ) throws(PermessageDeflate.ProcessingError) {
        // The stream is only stored once initialised: a throw before every property is set
        // does not run deinit, so the failure path frees it here, exactly once.
        let stream = ZlibStream.allocate()
        let arena = ownMapping ? ZlibArena.map(capacity: ZlibArena.inflateCapacity(windowBits: windowBits)) : nil
        arena?.install(on: stream)
        let status = inflateInit2_(stream, -Int32(windowBits), ZLIB_VERSION, ZlibStream.streamSize)
        guard status == Z_OK else {
            let message = ZlibStream.message(stream)
            ZlibStream.deallocate(stream)
            arena?.unmap()
            throw .zlibFailure(function: "inflateInit2", code: status, message: message)
        }
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer {
                inflateSetDictionary(stream, $0.baseAddress, UInt32($0.count))
            }
            guard status == Z_OK else {
                let message = ZlibStream.message(stream)
                inflateEnd(stream)
                ZlibStream.deallocate(stream)
                arena?.unmap()
                throw .zlibFailure(function: "inflateSetDictionary", code: status, message: message)
            }
        }
        self.stream = stream
        self.arena = arena
    }

    deinit {
        inflateEnd(stream)
        ZlibStream.deallocate(stream)
        arena?.unmap()
    }

    /// The bytes of the decompressor's window: the last bytes inflated, at most the window size
    /// and exactly as many as were ever inflated when fewer. Between messages this is all the
    /// state that the peer's context takeover needs.
    /// - Throws: ``PermessageDeflate/ProcessingError/zlibFailure(function:code:message:)`` if
    ///   zlib refuses.
    func window() throws(PermessageDeflate.ProcessingError) -> [UInt8] {
        var length: UInt32 = 0
        var status = inflateGetDictionary(stream, nil, &length)
        guard status == Z_OK else {
            throw .zlibFailure(function: "inflateGetDictionary", code: status, message: ZlibStream.message(stream))
        }
        let window = [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, count in
            var copied: UInt32 = 0
            status = inflateGetDictionary(stream, buffer.baseAddress, &copied)
            count = status == Z_OK ? min(Int(copied), buffer.count) : 0
        }
        guard status == Z_OK, window.count == Int(length) else {
            throw .zlibFailure(function: "inflateGetDictionary", code: status, message: ZlibStream.message(stream))
        }
        return window
    }

    /// Inflates one message's payload followed by `00 00 ff ff`.
    ///
    /// Output is written into a buffer that starts at twice the payload size and doubles up to
    /// ``geometricGrowthLimit``, then is reserved at `limit + 1` bytes at once (only the pages
    /// written become resident; a limit above ``directReservationLimit`` keeps doubling); as soon as more than `limit` bytes come out, inflation stops
    /// with ``Failure/tooLarge``, so a decompression bomb costs at most `limit` bytes and the
    /// last small buffer.
    ///
    /// The data must end on a block boundary once the tail is added (RFC 7692 §7.2.2), or with a
    /// final block (§7.2.3.3), which may only be followed by zero bytes (the example's empty
    /// stored-block header); the window is then kept for the next message.
    func inflate(_ payload: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        let limit = max(0, limit)
        let maximumCapacity = limit == Int.max ? Int.max : limit + 1
        let guess = payload.count > Int.max / 4 ? Int.max : payload.count * 2 + 256
        let initialCapacity = min(guess, maximumCapacity, Self.geometricGrowthLimit)
        let result = try payload.withUnsafeBufferPointer { (buffer) throws(Failure) in
            try Deflater.flushTail.withUnsafeBufferPointer { (tail) throws(Failure) in
                try inflate(
                    [UnsafeRawBufferPointer(buffer), UnsafeRawBufferPointer(tail)],
                    initialCapacity: initialCapacity,
                    maximumCapacity: maximumCapacity
                )
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        guard result.finished, result.bytes.count <= limit else { throw .tooLarge }
        return result.bytes
    }

    private func inflate(
        _ segments: [UnsafeRawBufferPointer],
        initialCapacity: Int,
        maximumCapacity: Int
    ) throws(Failure) -> (bytes: [UInt8], finished: Bool) {
        var input = InputCursor(segments: segments)
        stream.pointee.avail_in = 0
        let result = try GrowingOutput.collect(
            initialCapacity: initialCapacity, maximumCapacity: maximumCapacity,
            directAbove: maximumCapacity <= Self.directReservationLimit ? Self.geometricGrowthLimit : nil
        ) { (space) throws(Failure) -> GrowingOutput.Step in
            largestOutputCapacity = max(largestOutputCapacity, space.count)
            let offered = ZlibStream.setOutput(stream, space)
            while true {
                if stream.pointee.avail_in == 0 { input.feed(stream) }
                let availableIn = stream.pointee.avail_in
                let availableOut = stream.pointee.avail_out
                let status = CZlib.inflate(stream, Z_BLOCK)
                let written = offered - Int(stream.pointee.avail_out)
                switch status {
                case Z_STREAM_END:
                    // Only the RFC 7692 §7.2.3.3 padding (zero bytes) may follow a final block.
                    guard input.unconsumed(ofSegment: 0, stream: stream).allSatisfy({ $0 == 0 }) else {
                        throw .processing(.invalidCompressedData("data after the final block"))
                    }
                    try restartKeepingWindow()
                    return GrowingOutput.Step(written: written, finished: true)
                case Z_OK, Z_BUF_ERROR:
                    break
                case Z_DATA_ERROR, Z_NEED_DICT:
                    let reason = ZlibStream.message(stream) ?? "zlib error \(status)"
                    throw .processing(.invalidCompressedData(reason))
                default:
                    throw .processing(
                        .zlibFailure(function: "inflate", code: status, message: ZlibStream.message(stream))
                    )
                }
                let atBoundary = stream.pointee.data_type & 128 != 0
                let inputDone = stream.pointee.avail_in == 0 && input.isExhausted
                if inputDone && atBoundary { return GrowingOutput.Step(written: written, finished: true) }
                if stream.pointee.avail_out == 0 { return GrowingOutput.Step(written: written, finished: false) }
                if inputDone { throw .processing(.truncatedCompressedData) }
                if status == Z_BUF_ERROR && availableIn == stream.pointee.avail_in
                    && availableOut == stream.pointee.avail_out
                {
                    throw .processing(.zlibFailure(function: "inflate", code: status, message: "no progress"))
                }
            }
        }
        return result
    }

    /// After a final block (RFC 7692 §7.2.3.3), starts a new stream that keeps the window, so
    /// context takeover continues with the next message.
    private func restartKeepingWindow() throws(Failure) {
        var window = [UInt8](repeating: 0, count: Self.windowCapacity)
        var length: UInt32 = 0
        let status = window.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var status = inflateGetDictionary(stream, buffer.baseAddress, &length)
            if status == Z_OK { status = inflateReset(stream) }
            if status == Z_OK && length > 0 { status = inflateSetDictionary(stream, buffer.baseAddress, length) }
            return status
        }
        guard status == Z_OK else {
            throw .processing(.zlibFailure(function: "inflateReset", code: status, message: ZlibStream.message(stream)))
        }
    }
}

/// Feeds a list of byte ranges to a zlib stream in pieces zlib can count.
private struct InputCursor {
    let segments: [UnsafeRawBufferPointer]
    var segment = 0
    var offset = 0

    init(segments: [UnsafeRawBufferPointer]) {
        self.segments = segments
    }

    /// Whether every byte has been handed to zlib.
    var isExhausted: Bool {
        var index = segment
        var position = offset
        while index < segments.count {
            if position < segments[index].count { return false }
            index += 1
            position = 0
        }
        return true
    }

    /// The bytes of segment `index` that zlib has not consumed yet.
    func unconsumed(ofSegment index: Int, stream: UnsafeMutablePointer<z_stream>) -> UnsafeRawBufferPointer {
        guard index < segments.count, segment <= index else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let bytes = segments[index]
        let consumed = segment == index ? offset - Int(stream.pointee.avail_in) : 0
        return UnsafeRawBufferPointer(rebasing: bytes[max(0, consumed)...])
    }

    /// Sets the stream's input to the next non-empty piece, if any is left.
    mutating func feed(_ stream: UnsafeMutablePointer<z_stream>) {
        while segment < segments.count {
            let bytes = segments[segment]
            if offset < bytes.count, let base = bytes.baseAddress {
                let chunk = min(bytes.count - offset, ZlibStream.maximumChunk)
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = UInt32(chunk)
                offset += chunk
                return
            }
            segment += 1
            offset = 0
        }
    }
}
