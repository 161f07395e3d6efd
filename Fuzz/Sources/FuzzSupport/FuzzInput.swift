/// A cursor over one fuzz input: the first bytes choose parameters, the rest is data.
///
/// Reading past the end yields zeros (or empty arrays), so every input is usable.
public struct FuzzInput {
    /// The whole input.
    public let bytes: [UInt8]
    /// The next byte to read.
    public private(set) var position = 0

    /// Copies the input libFuzzer hands over.
    public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        if let data, count > 0 {
            bytes = Array(UnsafeBufferPointer(start: data, count: count))
        } else {
            bytes = []
        }
    }

    /// Wraps bytes (for replaying an input by hand).
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether every byte was read.
    public var isAtEnd: Bool { position >= bytes.count }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next byte's lowest bit.
    public mutating func bool() -> Bool {
        byte() & 1 == 1
    }

    /// A little-endian 16-bit value from the next two bytes.
    public mutating func uint16() -> UInt16 {
        UInt16(byte()) | UInt16(byte()) << 8
    }

    /// Up to `count` next bytes.
    public mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return Array(bytes[position..<end])
    }

    /// The bytes up to the next `\n` (excluded, and consumed), or all the rest if there is none.
    public mutating func line() -> [UInt8] {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
        let line = Array(bytes[start..<position])
        if position < bytes.count { position += 1 }
        return line
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        take(bytes.count - position)
    }
}
