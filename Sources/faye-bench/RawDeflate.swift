import CZlib

/// A peer's compressor for the benchmarks' hand-made permessage-deflate frames: raw DEFLATE at
/// level 9 with a 15-bit window, ended by a sync flush whose `00 00 ff ff` is dropped (RFC 7692
/// §7.2.1). Streams its input, so a 1 GiB bomb never exists uncompressed in memory.
enum RawDeflate {
    /// Compresses `chunk` repeated `times` times as one message.
    static func compress(_ chunk: [UInt8], times: Int = 1) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        let size = Int32(MemoryLayout<z_stream>.size)
        guard deflateInit2_(stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, size) == Z_OK else {
            throw BenchError("zlib refused the settings")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for round in 0..<max(1, times) {
            let flush = round == max(1, times) - 1 ? Z_SYNC_FLUSH : Z_NO_FLUSH
            let failed = chunk.withUnsafeBufferPointer { input -> Bool in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointee.avail_in = UInt32(input.count)
                repeat {
                    let produced = buffer.withUnsafeMutableBufferPointer { space -> Int in
                        stream.pointee.next_out = space.baseAddress
                        stream.pointee.avail_out = UInt32(space.count)
                        let status = deflate(stream, flush)
                        guard status == Z_OK || status == Z_BUF_ERROR else { return -1 }
                        return space.count - Int(stream.pointee.avail_out)
                    }
                    guard produced >= 0 else { return true }
                    output.append(contentsOf: buffer[0..<produced])
                } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
                return false
            }
            if failed { throw BenchError("deflate failed") }
        }
        guard output.ends(with: [0x00, 0x00, 0xFF, 0xFF]) else { throw BenchError("no sync flush marker") }
        output.removeLast(4)
        return output
    }
}
