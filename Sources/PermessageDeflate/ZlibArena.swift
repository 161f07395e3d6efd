internal import CZlib

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// All the memory of one long-lived zlib stream in one anonymous mapping of its own, handed out
/// by a bump allocator through zlib's `zalloc`/`zfree` hooks and unmapped at once when the
/// stream ends.
///
/// With zlib's default allocator, a stream's buffers (up to about 150 KiB) sit in the malloc
/// heap between the small objects allocated around them; once an idle stream is released, the
/// pages those objects share with its freed buffers stay resident (about 4 KiB per stream,
/// measured with `faye-bench idle`). A mapping of its own leaves nothing behind, and its
/// untouched pages never become resident. Only streams that live across messages use one
/// (context takeover): a stream created for every message would pay a `mmap` each time.
struct ZlibArena {
    /// The start of the mapping; its first 16 bytes hold the capacity and the bytes used.
    let base: UnsafeMutableRawPointer
    /// The mapping's size.
    let size: Int

    private static let headerSize = 16

    /// Maps `capacity` bytes (rounded up to pages), or returns `nil` if the system refuses.
    static func map(capacity: Int) -> ZlibArena? {
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        let size = (capacity + headerSize + page - 1) / page * page
        #if canImport(Glibc)
            let flags = MAP_PRIVATE | MAP_ANONYMOUS
        #else
            let flags = MAP_PRIVATE | MAP_ANON
        #endif
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, flags, -1, 0),
            address != MAP_FAILED
        else { return nil }
        address.storeBytes(of: size, as: Int.self)
        address.storeBytes(of: headerSize, toByteOffset: MemoryLayout<Int>.size, as: Int.self)
        return ZlibArena(base: address, size: size)
    }

    /// Makes `stream` (not yet initialised) allocate from this arena.
    func install(on stream: UnsafeMutablePointer<z_stream>) {
        stream.pointee.zalloc = zlibArenaAllocate
        stream.pointee.zfree = zlibArenaFree
        stream.pointee.opaque = base
    }

    /// Returns the mapping to the system (after the stream's `deflateEnd` or `inflateEnd`).
    func unmap() {
        munmap(base, size)
    }

    /// The capacity an arena needs for a compressor: zlib's formula, `2^(window+2) +
    /// 2^(memoryLevel+9)`, plus room for its state and for newer zlibs' larger symbol buffer.
    static func deflateCapacity(windowBits: Int, memoryLevel: Int) -> Int {
        (1 << (windowBits + 2)) + (1 << (memoryLevel + 9)) + (1 << (memoryLevel + 7)) + 32 * 1024
    }

    /// The capacity an arena needs for a decompressor: its window, `2^window`, plus its state.
    static func inflateCapacity(windowBits: Int) -> Int {
        (1 << windowBits) + 32 * 1024
    }
}

/// zlib's `zalloc` for a ``ZlibArena``: the next 16-byte aligned bytes of the mapping, or the
/// heap once the mapping is full (never expected, but a zlib with larger buffers still works).
private let zlibArenaAllocate: @convention(c) (voidpf?, uInt, uInt) -> voidpf? = { opaque, items, size in
    let bytes = Int(items) * Int(size)
    guard let base = opaque else { return malloc(bytes) }
    let capacity = base.load(as: Int.self)
    let used = (base.load(fromByteOffset: MemoryLayout<Int>.size, as: Int.self) + 15) & ~15
    guard bytes <= capacity - used else { return malloc(bytes) }
    base.storeBytes(of: used + bytes, toByteOffset: MemoryLayout<Int>.size, as: Int.self)
    return base + used
}

/// zlib's `zfree` for a ``ZlibArena``: nothing inside the mapping (it is unmapped as a whole),
/// `free` for what came from the heap.
private let zlibArenaFree: @convention(c) (voidpf?, voidpf?) -> Void = { opaque, address in
    guard let address else { return }
    if let base = opaque {
        let capacity = base.load(as: Int.self)
        if address >= base && address < base + capacity { return }
    }
    free(address)
}
