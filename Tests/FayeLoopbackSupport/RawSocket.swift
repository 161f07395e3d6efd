import FayeTestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain TCP socket to a loopback port, for the abuse tests: it reads only when told to (a NIO
/// client always reads), and every wait is bounded by `poll`. The blocking calls run on a thread
/// of their own (``onDedicatedThread(_:)``), never on Swift's cooperative pool.
public final class RawSocket: Sendable {
    /// A socket call failed.
    public struct Failure: Error, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    public let descriptor: Int32

    /// Connects to `127.0.0.1:port`; `receiveBuffer` sets `SO_RCVBUF` first (a small one makes a
    /// peer that does not read fill up quickly).
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            throw Failure(call: "connect", code: code)
        }
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes`, blocking a dedicated thread until the kernel took them.
    public func write(_ bytes: [UInt8]) async throws {
        try await onDedicatedThread { Result { try self.writeBlocking(bytes) } }.get()
    }

    private func writeBlocking(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw Failure(call: "send", code: errno) }
            offset += count
        }
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    /// Writes as much of `bytes` as the kernel takes now; the count written (0 when full).
    public func writeNow(_ bytes: [UInt8]) throws -> Int {
        let count = bytes.withUnsafeBytes {
            send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        if count >= 0 { return count }
        if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
        throw Failure(call: "send", code: errno)
    }

    /// What happened while waiting for bytes.
    public enum ReadResult: Equatable, Sendable {
        case bytes([UInt8])
        case closed
        case timedOut
    }

    /// The bytes available within `timeout` milliseconds, or end of stream (a reset counts as
    /// closed), or a time-out.
    public func read(timeout: Int32) async -> ReadResult {
        await onDedicatedThread { self.readBlocking(timeout: timeout) }
    }

    private func readBlocking(timeout: Int32) -> ReadResult {
        var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, timeout) > 0 else { return .timedOut }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return .closed }
        return .bytes(Array(buffer[..<count]))
    }

    /// Reads until `done` holds for everything read so far, or the stream ends, or `timeout`.
    /// - Returns: everything read, and whether the stream ended.
    public func read(
        for timeout: Duration,
        until done: @escaping @Sendable ([UInt8]) -> Bool = { _ in false }
    ) async -> (bytes: [UInt8], closed: Bool) {
        await onDedicatedThread { self.readBlocking(for: timeout, until: done) }
    }

    private func readBlocking(
        for timeout: Duration,
        until done: ([UInt8]) -> Bool
    ) -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while !done(bytes) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            switch readBlocking(
                timeout: Int32(
                    max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            {
            case .bytes(let more): bytes += more
            case .closed: return (bytes, true)
            case .timedOut: return (bytes, false)
            }
        }
        return (bytes, false)
    }
}
