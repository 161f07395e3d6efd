/// Limits on the size of an HTTP head, enforced while its bytes arrive.
///
/// A peer that exceeds a limit gets ``HTTPParseError/headTooLarge(limit:)`` or
/// ``HTTPParseError/tooManyHeaders(limit:)``, both answered with 431 (RFC 6585 §5), as soon as
/// the limit is crossed: the parser never buffers more than `maxHeadLength` bytes.
public struct HTTPHeadLimits: Sendable, Hashable {
    /// The most bytes the head may take, counting the start line, every header line and the
    /// final empty line with their line endings (and any empty lines ignored before a request
    /// line). Defaults to 16 KiB (16 384). A value of 0 or less rejects every head.
    public var maxHeadLength: Int
    /// The most header fields the head may have. Defaults to 100.
    public var maxHeaderCount: Int

    /// Creates limits.
    ///
    /// - Parameters:
    ///   - maxHeadLength: The most bytes in the head, line endings included; defaults to 16 KiB.
    ///   - maxHeaderCount: The most header fields; defaults to 100.
    public init(maxHeadLength: Int = 16 * 1024, maxHeaderCount: Int = 100) {
        self.maxHeadLength = maxHeadLength
        self.maxHeaderCount = maxHeaderCount
    }
}
