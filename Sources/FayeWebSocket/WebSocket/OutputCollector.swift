import NIOCore

/// Collects what a driver writes into one `ByteBuffer` per batch, so a batch of frames goes to
/// the socket in one write and one flush.
final class OutputCollector {
    private let allocator: ByteBufferAllocator
    private(set) var pending: ByteBuffer?

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        if pending == nil {
            pending = allocator.buffer(capacity: max(bytes.count, 512))
        }
        pending?.writeBytes(bytes)
    }

    /// Takes the collected bytes, leaving nothing pending.
    func take() -> ByteBuffer? {
        defer { pending = nil }
        return pending
    }
}
