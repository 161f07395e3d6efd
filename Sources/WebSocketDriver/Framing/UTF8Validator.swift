/// Incremental UTF-8 validation (RFC 3629) that fails at the first byte after which no valid
/// sequence is possible, carrying its state across frames and across `parse` calls.
///
/// Rejects overlong forms, surrogates (U+D800–U+DFFF), code points above U+10FFFF and stray
/// continuation bytes as soon as the offending byte is seen. ASCII runs are checked 32 bytes
/// at a time, and a multi-byte character whose bytes are all at hand is checked in one step;
/// only a character split between two buffers goes through the byte-at-a-time state.
struct UTF8Validator {
    /// Continuation bytes still expected for the current sequence.
    private var pending: UInt8 = 0
    /// The allowed range for the next continuation byte (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Whether every byte so far was ASCII.
    private(set) var isASCII = true

    /// Whether the bytes so far end on a character boundary.
    var isComplete: Bool { pending == 0 }

    /// Records that bytes validated elsewhere (by the vector validator) were not all ASCII.
    mutating func noteNonASCII() { isASCII = false }

    /// Forgets any partial sequence (a new message starts).
    mutating func reset() {
        pending = 0
        lower = 0x80
        upper = 0xBF
        isASCII = true
    }

    /// Validates the next bytes; `false` as soon as a byte makes the text invalid.
    mutating func validate(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        // A character begun in the previous buffer.
        while pending != 0 {
            guard index < count else { return true }
            guard continueSequence(base.load(fromByteOffset: index, as: UInt8.self)) else { return false }
            index += 1
        }
        while index < count {
            // ASCII: thirty-two bytes at a time, then eight, then straight to the first
            // non-ASCII byte.
            while index + 32 <= count {
                let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                let c = base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                let d = base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                index += 32
            }
            while index + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let high = word & 0x8080_8080_8080_8080
                if high != 0 {
                    #if _endian(little)
                        index += high.trailingZeroBitCount >> 3
                    #else
                        index += high.leadingZeroBitCount >> 3
                    #endif
                    break
                }
                index += 8
            }
            guard index < count else { return true }
            let lead = base.load(fromByteOffset: index, as: UInt8.self)
            if lead < 0x80 {
                index += 1
                continue
            }
            isASCII = false
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                second = 0x80...0x9F
            case 0xF0:
                length = 4
                second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                second = 0x80...0x8F
            default:
                return false
            }
            if index + length <= count {
                // The whole character is here: check it in one step.
                guard second.contains(base.load(fromByteOffset: index + 1, as: UInt8.self)) else { return false }
                if length >= 3 {
                    guard base.load(fromByteOffset: index + 2, as: UInt8.self) & 0xC0 == 0x80 else { return false }
                }
                if length == 4 {
                    guard base.load(fromByteOffset: index + 3, as: UInt8.self) & 0xC0 == 0x80 else { return false }
                }
                index += length
                continue
            }
            // The character continues in the next buffer: check what is here, keep the state.
            pending = UInt8(length - 1)
            lower = second.lowerBound
            upper = second.upperBound
            index += 1
            while index < count {
                guard continueSequence(base.load(fromByteOffset: index, as: UInt8.self)) else { return false }
                index += 1
            }
        }
        return true
    }

    /// Takes one continuation byte of a pending sequence; `false` if it does not fit.
    private mutating func continueSequence(_ byte: UInt8) -> Bool {
        guard byte >= lower && byte <= upper else { return false }
        pending -= 1
        lower = 0x80
        upper = 0xBF
        return true
    }

    /// Validates a whole byte sequence at once.
    static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        let result: Bool? = bytes.withContiguousStorageIfAvailable {
            validator.validate(UnsafeRawBufferPointer($0))
        }
        if let result { return result && validator.isComplete }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { validator.validate($0) } && validator.isComplete
    }
}
