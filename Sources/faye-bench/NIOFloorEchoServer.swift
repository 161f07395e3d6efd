import NIOCore
import NIOPosix
import WebSocketDriver

/// The floor of any WebSocket server built on NIO channels: `Benchmarks/peers/c-echo.c`'s work,
/// done in one NIO channel handler. A measuring instrument for `faye-bench peers`, not a server
/// anyone should run.
///
/// It does what the C echo server does and nothing more: the opening handshake (finds
/// `Sec-WebSocket-Key`, answers 101; nothing else is checked), then every frame parsed in place
/// from the read buffer and echoed frame by frame, its payload unmasked eight bytes at a time
/// straight into the output behind an unmasked header; no UTF-8 validation, no extensions, no
/// limits; everything one read produced goes out in one write. What it costs above the C server
/// is what NIO costs: the event loop, the pipeline, the buffers and the write path.
enum NIOFloorEchoServer {
    static func start() async throws -> NIOBenchServer {
        try await NIOBenchServer.bind("the NIO floor server") { group in
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOFloorEchoHandler())
                    }
                }
        }
    }
}

/// The one handler of ``NIOFloorEchoServer``'s connections.
final class NIOFloorEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes of an incomplete request or frame, kept for the next read.
    private var carried: ByteBuffer?
    /// What this read batch answers, written once at its end.
    private var output: ByteBuffer?
    private var open = false
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var earlier = carried {
            // Only the incomplete frame is kept: without this the carried buffer would keep
            // every byte read since the last read that ended on a frame boundary (with many
            // frames in flight, all of them), and each append would copy them again.
            carried = nil
            earlier.discardReadBytes()
            earlier.writeBuffer(&input)
            input = earlier
        }
        if !open {
            guard let response = Self.handshakeResponse(consuming: &input) else {
                if input.readableBytes > 16 * 1024 {
                    context.close(promise: nil)
                } else {
                    carried = input
                }
                return
            }
            open = true
            var out = context.channel.allocator.buffer(capacity: 256)
            out.writeString(response)
            output = out
        }
        echoFrames(from: &input, allocator: context.channel.allocator)
        if input.readableBytes > 0 { carried = input }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let out = output {
            output = nil
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
        if closing { context.close(promise: nil) }
    }

    /// Echoes every complete frame in `input`, leaving an incomplete one there.
    private func echoFrames(from input: inout ByteBuffer, allocator: ByteBufferAllocator) {
        while !closing {
            let consumed = input.withUnsafeReadableBytes { bytes -> Int in
                guard bytes.count >= 2 else { return 0 }
                let first = bytes[0]
                let second = bytes[1]
                var length = Int(second & 0x7F)
                var offset = 2
                if length == 126 {
                    guard bytes.count >= 4 else { return 0 }
                    length = Int(bytes[2]) << 8 | Int(bytes[3])
                    offset = 4
                } else if length == 127 {
                    guard bytes.count >= 10 else { return 0 }
                    length = 0
                    for index in 2..<10 { length = length << 8 | Int(bytes[index]) }
                    offset = 10
                }
                let masked = second & 0x80 != 0
                let maskOffset = offset
                if masked { offset += 4 }
                guard length >= 0, bytes.count - offset >= length else { return 0 }
                var opcode = first & 0x0F
                if opcode == 0x8 { closing = true }
                if opcode == 0x9 { opcode = 0xA }
                let frameBytes = offset + length
                var out = output ?? allocator.buffer(capacity: max(4096, frameBytes))
                out.writeInteger(first & 0xF0 | opcode)
                if length < 126 {
                    out.writeInteger(UInt8(length))
                } else if length <= 0xFFFF {
                    out.writeInteger(UInt8(126))
                    out.writeInteger(UInt16(length))
                } else {
                    out.writeInteger(UInt8(127))
                    out.writeInteger(UInt64(length))
                }
                let payload = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
                if masked {
                    let key = bytes.loadUnaligned(fromByteOffset: maskOffset, as: UInt32.self)
                    let wide = UInt64(key) | UInt64(key) << 32
                    out.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                        var index = 0
                        while index + 8 <= length {
                            let word = payload.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                            target.storeBytes(of: word ^ wide, toByteOffset: index, as: UInt64.self)
                            index += 8
                        }
                        while index < length {
                            target[index] = payload[index] ^ UInt8(truncatingIfNeeded: wide >> (8 * (index & 3)))
                            index += 1
                        }
                        return length
                    }
                } else {
                    out.writeBytes(payload)
                }
                output = out
                return frameBytes
            }
            guard consumed > 0 else { return }
            input.moveReaderIndex(forwardBy: consumed)
        }
    }

    /// The 101 answer to a complete request in `buffer` (consumed), or nil while it is incomplete.
    private static func handshakeResponse(consuming buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: view[view.startIndex..<end.upperBound], as: UTF8.self)
        buffer.moveReaderIndex(to: end.upperBound)
        var key = ""
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "sec-websocket-key" {
                // A key is base64: no spaces or tabs of its own to keep.
                key = String(line[line.index(after: colon)...].filter { $0 != " " && $0 != "\t" })
            }
        }
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(Driver.acceptValue(forKey: key))\r\n\r\n"
    }
}
