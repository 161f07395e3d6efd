/// Turns bytes already checked by ``UTF8Validator`` into a `String` without validating them a
/// second time.
enum ValidatedText {
    /// A `String` holding `bytes`, which must be complete, valid UTF-8.
    ///
    /// Uses `UTF8Span(unchecked:)` where the standard library has it (one copy, no second
    /// validation pass); elsewhere `String(decoding:as:)`, which validates again.
    static func string(_ bytes: [UInt8], isASCII: Bool) -> String {
        bytes.withUnsafeBytes { string($0, isASCII: isASCII) }
    }

    /// A `String` holding the bytes at `bytes`, which must be complete, valid UTF-8.
    static func string(_ bytes: UnsafeRawBufferPointer, isASCII: Bool) -> String {
        let elements = bytes.assumingMemoryBound(to: UInt8.self)
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            let text = UTF8Span(unchecked: elements.span, isKnownASCII: isASCII)
            return String(copying: text)
        } else {
            return String(decoding: elements, as: UTF8.self)
        }
    }
}
