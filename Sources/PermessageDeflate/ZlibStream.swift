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

    /// The oldest zlib that can hand a window over (`deflateGetDictionary` and
    /// `inflateGetDictionary`), as (major, minor, revision).
    static let windowExportVersion = (1, 2, 9)

    /// Whether the zlib loaded at run time is at least ``windowExportVersion``. The build
    /// already refuses older headers (`shim.h`); this guards against an older library loaded in
    /// their place, in which case streams are never released while idle.
    static let supportsWindowExport: Bool = {
        guard let version = zlibVersion() else { return false }
        return isAtLeastWindowExportVersion(String(cString: version))
    }()

    /// Whether a zlib version string such as `1.2.13` or `1.3.1.1-motley` is at least
    /// ``windowExportVersion``.
    static func isAtLeastWindowExportVersion(_ version: String) -> Bool {
        let parts = version.split(separator: ".").map { part in Int(part.prefix { $0.isNumber }) ?? 0 }
        let required = [windowExportVersion.0, windowExportVersion.1, windowExportVersion.2]
        for (index, needed) in required.enumerated() {
            let have = index < parts.count ? parts[index] : 0
            if have != needed { return have > needed }
        }
        return true
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
