/// Incremental UTF-8 validation (RFC 3629) that fails at the first byte after which no valid
/// sequence is possible, carrying its state across frames and across `parse` calls.
///
/// Rejects overlong forms, surrogates (U+D800–U+DFFF), code points above U+10FFFF and stray
/// continuation bytes as soon as the offending byte is seen. ASCII runs are checked sixteen
/// bytes at a time.
struct UTF8Validator {
    /// Continuation bytes still expected for the current sequence.
    private var pending: UInt8 = 0
    /// The allowed range for the next continuation byte (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether the bytes so far end on a character boundary.
    var isComplete: Bool { pending == 0 }

    /// Forgets any partial sequence (a new message starts).
    mutating func reset() {
        pending = 0
        lower = 0x80
        upper = 0xBF
    }

    /// Validates the next bytes; `false` as soon as a byte makes the text invalid.
    mutating func validate(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let count = buffer.count
        var index = 0
        while index < count {
            if pending == 0 {
                // ASCII fast path.
                while index + 16 <= count {
                    let a = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let b = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                    if (a | b) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 16
                }
                guard index < count else { return true }
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                if byte < 0x80 { continue }
                switch byte {
                case 0xC2...0xDF:
                    pending = 1
                case 0xE0:
                    pending = 2
                    lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF:
                    pending = 2
                case 0xED:
                    pending = 2
                    upper = 0x9F
                case 0xF0:
                    pending = 3
                    lower = 0x90
                case 0xF1...0xF3:
                    pending = 3
                case 0xF4:
                    pending = 3
                    upper = 0x8F
                default:
                    return false
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= lower && byte <= upper else { return false }
                index += 1
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
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
