import NIOCore
import NIOEmbedded
import NIOWebSocket
import WebSocketDriver

/// `faye-bench frame`: building outgoing frames, server (unmasked) and client (masked), through
/// our driver into a socket buffer, and through NIO's `WebSocketFrameEncoder`.
struct FrameBench {
    let settings: BenchSettings

    func run(into report: Report) {
        for client in [false, true] {
            for size in ParseBench.sizes {
                let name = "binary \(Size.label(size))" + (client ? " client" : "")
                guard settings.includes(name) else { continue }
                let payload = Payloads.random(count: size)
                let frames = max(1, (settings.quick ? 64 * 1024 : 1024 * 1024) / size)
                let ours = OurFramer(client: client)
                let theirs = NIOFramer(client: client)
                let payloadBuffer = ByteBuffer(bytes: payload)
                let rates = Measure.alternating(
                    repetitions: settings.repetitions,
                    ours: {
                        Measure.rate(minimumSeconds: settings.minimumSeconds) {
                            ours.send(payload, times: frames)
                            return 1
                        }
                    },
                    reference: {
                        Measure.rate(minimumSeconds: settings.minimumSeconds) {
                            theirs.send(payloadBuffer, times: frames)
                            return 1
                        }
                    })
                let referenceName = "NIO WebSocketFrameEncoder"
                report.add(
                    BenchRow(
                        bench: "frame", name: name, ours: rates.ours * Double(frames),
                        reference: rates.reference * Double(frames), unit: "frames/s", higherIsBetter: true,
                        referenceName: referenceName))
                let gigabytes = Double(frames * size) / 1e9
                report.add(
                    BenchRow(
                        bench: "frame", name: name, ours: rates.ours * gigabytes,
                        reference: rates.reference * gigabytes, unit: "GB/s", higherIsBetter: true,
                        referenceName: referenceName))
            }
        }
    }
}

/// An open driver whose output goes into a `ByteBuffer`, as the server's handler collects it.
final class OurFramer {
    let driver: Driver
    private let sink: OutputSink

    final class OutputSink {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        var total = 0
    }

    init(client: Bool) {
        let sink = OutputSink()
        self.sink = sink
        if client {
            var request: [UInt8] = []
            var opening = true
            do {
                driver = try Driver.client(url: "ws://127.0.0.1/bench") { bytes in
                    if opening { request.append(contentsOf: bytes) } else { sink.buffer.writeBytes(bytes) }
                }
            } catch {
                fatalError("client driver: \(error)")
            }
            driver.start()
            opening = false
            guard let response = WireFrames.serverResponse(answering: request) else {
                fatalError("the client driver sent no key")
            }
            driver.parse(response)
        } else {
            driver = Driver.server { bytes in sink.buffer.writeBytes(bytes) }
            driver.start()
            driver.parse(WireFrames.clientRequest())
        }
        guard driver.readyState == .open else { fatalError("the driver did not open") }
        sink.buffer.clear()
    }

    func send(_ payload: [UInt8], times: Int) {
        for _ in 0..<times {
            driver.binary(payload)
            sink.total &+= sink.buffer.readableBytes
            sink.buffer.clear()
        }
    }
}

/// NIO's encoder in an embedded channel; each frame's output is taken off the channel.
final class NIOFramer {
    let channel: EmbeddedChannel
    let client: Bool
    var total = 0

    init(client: Bool) {
        self.client = client
        channel = EmbeddedChannel(handlers: [WebSocketFrameEncoder()])
    }

    func send(_ payload: ByteBuffer, times: Int) {
        for _ in 0..<times {
            let frame = WebSocketFrame(
                fin: true, opcode: .binary, maskKey: client ? .random() : nil, data: payload)
            channel.writeAndFlush(frame, promise: nil)
            do {
                while let part = try channel.readOutbound(as: ByteBuffer.self) {
                    total &+= part.readableBytes
                }
            } catch {
                fatalError("NIO encoder: \(error)")
            }
        }
    }
}
