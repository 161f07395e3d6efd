import WebSocketExtensions

/// Builds outgoing RFC 6455 frames, header and payload in one contiguous buffer, and hands each
/// frame to the output in a single call.
///
/// The buffer is reused from frame to frame; after a frame larger than
/// ``FrameEncoder/retainedCapacity`` it is released, so an idle connection holds no large buffer.
struct FrameEncoder {
    /// The largest buffer kept between frames.
    static let retainedCapacity = 64 * 1024

    /// Whether frames are masked (a client's are, RFC 6455 §5.3).
    let masks: Bool
    private var buffer: [UInt8] = []
    private var keys = MaskingKeySource()

    init(masks: Bool) {
        self.masks = masks
    }

    /// The size of a frame header for a payload of `length` bytes.
    static func headerLength(payloadLength length: Int, masked: Bool) -> Int {
        let base = length <= 125 ? 2 : (length <= 0xFFFF ? 4 : 10)
        return masked ? base + 4 : base
    }

    /// Encodes one frame and passes it to `write`.
    mutating func encode(
        isFinal: Bool,
        reservedBits: ReservedBits,
        opcode: Opcode,
        payload: UnsafeRawBufferPointer,
        into write: (UnsafeRawBufferPointer) -> Void
    ) {
        let length = payload.count
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(Self.headerLength(payloadLength: length, masked: masks) + length)
        buffer.append((isFinal ? 0x80 : 0) | (reservedBits.rawValue & 0x70) | opcode.rawValue)
        let maskBit: UInt8 = masks ? 0x80 : 0
        if length <= 125 {
            buffer.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: length >> 8))
            buffer.append(UInt8(truncatingIfNeeded: length))
        } else {
            buffer.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        var key: UInt32 = 0
        if masks {
            key = keys.next()
            withUnsafeBytes(of: key) { buffer.append(contentsOf: $0) }
        }
        let payloadStart = buffer.count
        buffer.append(contentsOf: payload)
        if masks && length > 0 {
            buffer.withUnsafeMutableBytes { bytes in
                Masking.apply(key: key, offset: 0, to: UnsafeMutableRawBufferPointer(rebasing: bytes[payloadStart...]))
            }
        }
        buffer.withUnsafeBytes { write($0) }
        if buffer.capacity > Self.retainedCapacity {
            buffer = []
        }
    }
}

/// Masking keys from the system's cryptographically secure generator (RFC 6455 §10.3: keys
/// must not be predictable), drawn a batch at a time so that a client does not make a system
/// call per frame. The batch is allocated on first use: a server, which never masks, holds none.
struct MaskingKeySource {
    /// Keys drawn per refill: as many as one system call returns.
    static let batchSize = SystemRandom.maximumRequest / MemoryLayout<UInt32>.size
    private var batch: [UInt32] = []
    private var used = 0

    mutating func next() -> UInt32 {
        if used == batch.count {
            batch = Self.draw(Self.batchSize)
            used = 0
        }
        defer { used += 1 }
        return batch[used]
    }

    /// `count` random keys from the operating system.
    private static func draw(_ count: Int) -> [UInt32] {
        [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            if !SystemRandom.fill(raw) {
                var generator = SystemRandomNumberGenerator()
                for index in 0..<count { buffer[index] = UInt32(truncatingIfNeeded: generator.next()) }
            }
            initialized = count
        }
    }
}
