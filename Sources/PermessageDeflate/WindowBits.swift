/// LZ77 window sizes as RFC 7692 §7.1.2 negotiates them: base-2 logarithms from 8 to 15.
enum WindowBits {
    /// The values RFC 7692 allows, `8...15`.
    static let range = 8...15

    /// The window used when nothing limits it: 15 bits, 32 KiB.
    static let maximum = 15

    /// The smallest raw-deflate window zlib (1.2.9 and later) accepts in `deflateInit2`. zlib's
    /// inflate accepts 8, but 9 is used there too so that a peer that negotiated 8 but compresses
    /// with zlib's 9 still inflates.
    static let zlibMinimum = 9
}
