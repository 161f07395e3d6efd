import FayeTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A hostile HTTP server on loopback: the n-th connection gets the n-th scripted answer, byte
/// for byte, once its request head arrived; then the server closes the connection (or keeps
/// it open). It records each request it read.
final class ScriptedServer: Sendable {
    /// What one connection is answered.
    struct Answer: Sendable {
        /// The bytes, written in these chunks (a flush after each).
        var chunks: [[UInt8]]
        /// Whether the server closes the connection after writing.
        var thenClose: Bool

        init(_ text: String, thenClose: Bool = true) {
            self.chunks = [Array(text.utf8)]
            self.thenClose = thenClose
        }

        init(chunks: [[UInt8]], thenClose: Bool = true) {
            self.chunks = chunks
            self.thenClose = thenClose
        }
    }

    let port: Int
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>

    struct State {
        var answers: [Answer]
        var requests: [String] = []
    }

    /// The requests read so far, in order.
    var requests: [String] { state.withLockedValue { $0.requests } }

    private init(port: Int, channel: any Channel, state: NIOLockedValueBox<State>) {
        self.port = port
        self.channel = channel
        self.state = state
    }

    /// Starts a server answering with `answers`, in order (connections beyond them are closed at once).
    static func start(_ answers: [Answer], group: any EventLoopGroup) async throws -> ScriptedServer {
        let state = NIOLockedValueBox(State(answers: answers))
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw SetupError("the scripted server has no port") }
        return ScriptedServer(port: port, channel: channel, state: state)
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class ScriptHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let state: NIOLockedValueBox<State>
        private let received = NIOLockedValueBox<[UInt8]?>([])

        init(state: NIOLockedValueBox<State>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let request = received.withLockedValue { received -> [UInt8]? in
                guard var bytes = received else { return nil }
                bytes += buffer.readableBytesView
                // The head, and a body as long as its Content-Length.
                guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
                    received = bytes
                    return nil
                }
                let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first {
                        $0.lowercased().hasPrefix("content-length:")
                    }.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters()) } ?? 0
                guard bytes.count - end.upperBound >= length else {
                    received = bytes
                    return nil
                }
                received = nil
                return bytes
            }
            guard let request else { return }
            let answer = state.withLockedValue { state -> Answer? in
                state.requests.append(String(decoding: request, as: UTF8.self))
                return state.answers.isEmpty ? nil : state.answers.removeFirst()
            }
            guard let answer else {
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            var written: EventLoopFuture<Void> = context.eventLoop.makeSucceededFuture(())
            for chunk in answer.chunks {
                written = context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: chunk)))
            }
            if answer.thenClose {
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
