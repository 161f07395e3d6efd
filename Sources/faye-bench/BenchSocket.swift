#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking client socket past its opening handshake (``IdleClient/open(port:offerDeflate:)``)
/// that writes whole buffers and reads whole frames, for the memory benchmarks' hand-made peers.
struct BenchSocket {
    let fd: Int32
    private var received: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    /// Writes every byte; `false` if the server closed the connection first.
    func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let chunk = min(all.count - offset, 1 << 20)
                let written = send(fd, all.baseAddress.map { $0 + offset }, chunk, Int32(MSG_NOSIGNAL))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// Reads the next frame: its first byte (FIN, RSV and opcode) and its unmasked payload, or
    /// `nil` once the server closed the connection.
    mutating func readFrame() -> (first: UInt8, payload: [UInt8])? {
        while true {
            if let frame = takeFrame() { return frame }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            received.append(contentsOf: chunk[0..<got])
        }
    }

    private mutating func takeFrame() -> (first: UInt8, payload: [UInt8])? {
        guard received.count >= 2 else { return nil }
        var length = Int(received[1] & 0x7F)
        var header = 2
        if length == 126 {
            guard received.count >= 4 else { return nil }
            length = Int(received[2]) << 8 | Int(received[3])
            header = 4
        } else if length == 127 {
            guard received.count >= 10 else { return nil }
            length = received[2..<10].reduce(0) { $0 << 8 | Int($1) }
            header = 10
        }
        guard received.count >= header + length else { return nil }
        let frame = (received[0], Array(received[header..<(header + length)]))
        received.removeFirst(header + length)
        return frame
    }

    func close() {
        IdleClient.close(fd)
    }
}
