internal import CZlib

/// Helpers shared by ``Deflater`` and ``Inflater``.
enum ZlibStream {
    /// zlib counts bytes in 32-bit integers: longer input is fed, and output space offered, in
    /// pieces of at most this size.
    static let maximumChunk = Int(UInt32.max)

    /// A zero-filled stream on the heap. zlib keeps a pointer back to the stream and checks it,
    /// so the stream must not move once initialised.
    static func allocate() -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        return stream
    }

    /// Frees a stream from ``allocate()`` (after `deflateEnd` or `inflateEnd`).
    static func deallocate(_ stream: UnsafeMutablePointer<z_stream>) {
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// zlib's message for the last error on `stream`, if any.
    static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
        guard let message = stream.pointee.msg else { return nil }
        return String(cString: message)
    }

    /// The size argument of the `*Init2_` functions.
    static var streamSize: Int32 { Int32(MemoryLayout<z_stream>.size) }

    /// Points the stream's output at `space` (at most ``maximumChunk`` bytes of it) and returns
    /// how many bytes were offered.
    static func setOutput(_ stream: UnsafeMutablePointer<z_stream>, _ space: UnsafeMutableRawBufferPointer) -> Int {
        let offered = min(space.count, maximumChunk)
        stream.pointee.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(offered)
        return offered
    }
}
