/// The windows of an idle session's released zlib streams — the compressor's, then the
/// decompressor's — in one allocation of exactly their size.
///
/// One allocation rather than two: between messages it is the only thing a released session
/// adds to the heap, and every separate small block can keep a whole page of freed zlib memory
/// resident around it.
struct SavedWindows {
    private var bytes: [UInt8] = []
    private var deflateCount = 0

    /// The bytes kept, both windows together.
    var count: Int { bytes.count }

    /// The compressor's window (empty when none is saved).
    var deflateWindow: ArraySlice<UInt8> { bytes[..<deflateCount] }

    /// The decompressor's window (empty when none is saved).
    var inflateWindow: ArraySlice<UInt8> { bytes[deflateCount...] }

    /// Saves new windows; `nil` keeps the one already saved for that direction.
    mutating func store(deflate: [UInt8]?, inflate: [UInt8]?) {
        let deflatePart = deflate.map { $0[...] } ?? deflateWindow
        let inflatePart = inflate.map { $0[...] } ?? inflateWindow
        var combined: [UInt8] = []
        combined.reserveCapacity(deflatePart.count + inflatePart.count)
        combined.append(contentsOf: deflatePart)
        combined.append(contentsOf: inflatePart)
        bytes = combined
        deflateCount = deflatePart.count
    }

    /// Forgets the compressor's window (it was handed to a new stream).
    mutating func dropDeflateWindow() {
        guard deflateCount > 0 else { return }
        bytes = deflateCount == bytes.count ? [] : Array(inflateWindow)
        deflateCount = 0
    }

    /// Forgets the decompressor's window (it was handed to a new stream).
    mutating func dropInflateWindow() {
        guard deflateCount < bytes.count else { return }
        bytes = deflateCount == 0 ? [] : Array(deflateWindow)
    }

    /// Forgets both.
    mutating func removeAll() {
        bytes = []
        deflateCount = 0
    }
}
