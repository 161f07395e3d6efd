/// RFC 6455 §5.3 masking: XOR with a 4-byte key, eight bytes at a time.
enum Masking {
    /// The key repeated to eight bytes, starting at key byte `offset % 4`, in memory order.
    @inline(__always)
    static func widenedKey(_ key: UInt32, offset: Int) -> UInt64 {
        // `key` holds the four key bytes in memory order (as loaded from the frame header).
        let rotation = (offset & 3) * 8
        var word = key
        if rotation != 0 {
            // Memory order: rotating the bytes left by `offset` bytes.
            word = (key >> UInt32(rotation)) | (key << UInt32(32 - rotation))
            #if _endian(big)
                word = (key << UInt32(rotation)) | (key >> UInt32(32 - rotation))
            #endif
        }
        return UInt64(word) | (UInt64(word) << 32)
    }

    /// Copies `count` bytes from `source` to `destination`, XOR-ing them with the key starting
    /// at key byte `offset % 4`. The two may be the same address (in-place unmasking).
    static func apply(
        key: UInt32,
        offset: Int,
        from source: UnsafeRawPointer,
        to destination: UnsafeMutableRawPointer,
        count: Int
    ) {
        var index = 0
        let wide = widenedKey(key, offset: offset)
        while index + 32 <= count {
            let a = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let b = source.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
            let c = source.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
            let d = source.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
            destination.storeBytes(of: a ^ wide, toByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: b ^ wide, toByteOffset: index + 8, as: UInt64.self)
            destination.storeBytes(of: c ^ wide, toByteOffset: index + 16, as: UInt64.self)
            destination.storeBytes(of: d ^ wide, toByteOffset: index + 24, as: UInt64.self)
            index += 32
        }
        while index + 8 <= count {
            let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            destination.storeBytes(of: word ^ wide, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        var tail = wide
        while index < count {
            let byte = source.load(fromByteOffset: index, as: UInt8.self)
            #if _endian(big)
                let keyByte = UInt8(truncatingIfNeeded: tail >> 56)
                tail <<= 8
            #else
                let keyByte = UInt8(truncatingIfNeeded: tail)
                tail >>= 8
            #endif
            destination.storeBytes(of: byte ^ keyByte, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }

    /// Fills `destination` with as many bytes from `source`, XOR-ing them with `key` (starting
    /// at key byte `offset % 4`) when there is one, copying them otherwise.
    static func copy(
        from source: UnsafeRawPointer,
        into destination: UnsafeMutableRawBufferPointer,
        key: UInt32?,
        offset: Int
    ) {
        guard let base = destination.baseAddress, destination.count > 0 else { return }
        if let key {
            apply(key: key, offset: offset, from: source, to: base, count: destination.count)
        } else {
            base.copyMemory(from: source, byteCount: destination.count)
        }
    }

    /// Masks or unmasks `buffer` in place.
    static func apply(key: UInt32, offset: Int, to buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        apply(key: key, offset: offset, from: UnsafeRawPointer(base), to: base, count: buffer.count)
    }

    /// The four key bytes in memory order.
    static func keyBytes(_ key: UInt32) -> [UInt8] {
        withUnsafeBytes(of: key) { Array($0) }
    }

    /// Loads a key from four bytes in memory order.
    static func key(fromBytes bytes: UnsafeRawPointer) -> UInt32 {
        bytes.loadUnaligned(as: UInt32.self)
    }
}
