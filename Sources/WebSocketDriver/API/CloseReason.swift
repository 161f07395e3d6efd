/// Close reasons fit in a control frame: at most 123 bytes of UTF-8 after the 2-byte code.
enum CloseReason {
    static let maximumLength = 123

    /// `text` as UTF-8, cut at a character boundary to at most 123 bytes.
    static func truncated(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard bytes.count > maximumLength else { return bytes }
        var end = maximumLength
        // Step back over continuation bytes so no character is split.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }
}
