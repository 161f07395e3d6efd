internal import CFayeUTF8

extension UTF8Validator {
    /// The bytes copied between two decisions whether to validate (multiples of 32, so that
    /// each run starts on the same key byte): short while the text is ASCII, so that JSON's rare
    /// accented names send few bytes to the validator, and doubling while it is not, so that
    /// prose goes to the validator in few long calls, each still in the first-level cache.
    static let shortestRun = 256
    static let longestRun = 8192
    /// The fewest bytes handed to the vector validator (`faye_utf8_copy_validate`, which takes
    /// whole 64-byte blocks); shorter ones, and its remainder, take the loop below.
    static let vectorThreshold = 128

    /// Copies `count` bytes from `source` to `destination`, unmasking them on the way when there
    /// is a `maskingKey` (starting at key byte `maskOffset % 4`), and validates them in the same
    /// pass; `false` when they make the text invalid.
    ///
    /// From ``vectorThreshold`` bytes on, whole 64-byte blocks go through the vector validator
    /// (`faye_utf8_copy_validate`: unmasked, stored and validated in registers, with no branch
    /// per character); what it leaves (the last bytes, a character it ends inside, all bytes
    /// where the processor has no AVX2) takes the loop below.
    ///
    /// The bytes go in runs of ``shortestRun`` to ``longestRun`` bytes, thirty-two at a time loaded, unmasked,
    /// stored and checked for ASCII while they are still in registers; a run that was all
    /// ASCII (the common case for JSON and markup) costs about what the copy alone costs. Only a
    /// run holding other bytes, or following a character left open, is read again, from the
    /// destination while it is still in the first-level cache, by ``validate(_:)``, which
    /// carries the state across runs and calls.
    mutating func copyValidating(
        from source: UnsafeRawPointer,
        to destination: UnsafeMutableRawPointer,
        count: Int,
        maskingKey: UInt32?,
        maskOffset: Int
    ) -> Bool {
        var index = 0
        if count >= Self.vectorThreshold {
            // A character left open by the previous bytes is finished first (at most three
            // bytes), so that the vector validator starts on a character boundary.
            while !isComplete && index < count {
                let byte = UnsafeMutableRawBufferPointer(start: destination + index, count: 1)
                Masking.copy(from: source + index, into: byte, key: maskingKey, offset: maskOffset + index)
                guard validate(UnsafeRawBufferPointer(byte)) else { return false }
                index += 1
            }
            let key = maskingKey.map { Masking.widenedKey($0, offset: maskOffset + index) } ?? 0
            let result = faye_utf8_copy_validate(
                source.advanced(by: index).assumingMemoryBound(to: UInt8.self),
                destination.advanced(by: index).assumingMemoryBound(to: UInt8.self), count - index, key)
            guard result.invalid == 0 else { return false }
            let processed = result.processed
            if result.sawNonASCII != 0 { noteNonASCII() }
            if result.endsIncomplete != 0 {
                // The last character continues past the processed bytes: its bytes so far,
                // from its lead byte (the last of the last three at C0 or above), go through
                // the incremental validator, which keeps its state for what follows.
                var lead = index + processed - 1
                while lead > index + processed - 3
                    && destination.load(fromByteOffset: lead, as: UInt8.self) < 0xC0
                {
                    lead -= 1
                }
                let open = UnsafeRawBufferPointer(start: destination + lead, count: index + processed - lead)
                guard validate(open) else { return false }
            }
            index += processed
        }
        // Every block starts at a multiple of 32 bytes (of four) from here: one key vector.
        // Sixteen-byte vectors, so that the loop is as wide as the binary path's.
        let key = maskingKey.map { Masking.widenedKey($0, offset: maskOffset + index) } ?? 0
        let wide = unsafeBitCast(SIMD2<UInt64>(key, key), to: SIMD16<UInt8>.self)
        var run = Self.shortestRun
        while index + 32 <= count {
            let runStart = index
            let runEnd = min(count, index + run)
            var seen = SIMD16<UInt8>()
            while index + 32 <= runEnd {
                let a = source.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self) ^ wide
                let b = source.loadUnaligned(fromByteOffset: index + 16, as: SIMD16<UInt8>.self) ^ wide
                destination.storeBytes(of: a, toByteOffset: index, as: SIMD16<UInt8>.self)
                destination.storeBytes(of: b, toByteOffset: index + 16, as: SIMD16<UInt8>.self)
                seen |= a | b
                index += 32
            }
            // The high bits of the sixteen lanes, tested as two words (a lane-wise comparison
            // would not compile to one vector instruction).
            let words = unsafeBitCast(seen, to: SIMD2<UInt64>.self)
            if (words[0] | words[1]) & 0x8080_8080_8080_8080 != 0 || !isComplete {
                let bytes = UnsafeRawBufferPointer(start: destination + runStart, count: index - runStart)
                guard validate(bytes) else { return false }
                // Text that is not ASCII here is likely not to be further on: longer runs, fewer
                // calls to the validator.
                run = min(run * 2, Self.longestRun)
            } else {
                run = Self.shortestRun
            }
        }
        let rest = count - index
        guard rest > 0 else { return true }
        let tail = UnsafeMutableRawBufferPointer(start: destination + index, count: rest)
        Masking.copy(from: source + index, into: tail, key: maskingKey, offset: maskOffset + index)
        return validate(UnsafeRawBufferPointer(tail))
    }
}
