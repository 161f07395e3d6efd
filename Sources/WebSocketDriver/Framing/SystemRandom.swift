#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bulk random bytes from the operating system's cryptographically secure source.
enum SystemRandom {
    /// The most bytes one `getentropy` call returns.
    static let maximumRequest = 256

    /// Fills `buffer` (at most ``maximumRequest`` bytes); `false` if the system source failed
    /// (the caller then falls back to `SystemRandomNumberGenerator`, which draws from the same
    /// source eight bytes at a time).
    static func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        guard buffer.count <= maximumRequest else { return false }
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
            return getentropy(base, buffer.count) == 0
        #else
            return false
        #endif
    }
}
