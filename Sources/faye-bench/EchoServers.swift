import FayeWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PermessageDeflate

/// A server the load generator can target.
protocol BenchServer: Sendable {
    var port: Int { get }
    func shutdown() async throws
}

/// `faye-server`'s WebSocket echo: the same handler (``WebSocket/echoMessages()``) and the same
/// options (permessage-deflate offered to whoever asks), on one event loop thread.
struct OurEchoServer: BenchServer {
    let server: FayeServer
    let port: Int

    static func start(
        maxConnections: Int = 20_000,
        extensionIdleRelease: Duration? = WebSocketOptions.defaultExtensionIdleRelease
    ) async throws -> OurEchoServer {
        var configuration = FayeServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.threads = 1
        configuration.maxBodySize = 1024 * 1024
        configuration.maxConnections = maxConnections
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        options.extensionIdleRelease = extensionIdleRelease
        let logger = Logger(label: "faye-bench") { _ in SwiftLogNoOpLogHandler() }
        let server = FayeServer(configuration: configuration, logger: logger) { [options] request in
            if request.isWebSocket {
                return .webSocket(options: options) { socket in socket.echoMessages() }
            }
            return ServerResponse(status: 404, text: "Not found\n")
        }
        try await server.start()
        guard let port = server.localAddress?.port else { throw BenchError("our server did not bind") }
        return OurEchoServer(server: server, port: port)
    }

    func shutdown() async throws {
        try await server.shutdown()
    }
}

/// A server on a NIO `ServerBootstrap` of its own, one event loop thread, bound to an ephemeral
/// port on 127.0.0.1: the references ``NIOEchoServer`` and ``NIOFloorEchoServer`` start this way.
struct NIOBenchServer: BenchServer {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let port: Int

    /// Binds the bootstrap `configure` makes on a new one-thread group (`name` says which server
    /// failed to bind); the group is shut down again when binding fails.
    static func bind(
        _ name: String, _ configure: (MultiThreadedEventLoopGroup) -> ServerBootstrap
    ) async throws -> NIOBenchServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await configure(group).bind(host: "127.0.0.1", port: 0).get()
            guard let port = channel.localAddress?.port else { throw BenchError("\(name) did not bind") }
            return NIOBenchServer(group: group, channel: channel, port: port)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// A plain NIO WebSocket echo server: NIO's HTTP server pipeline, its WebSocket upgrader and
/// frame codec, and a handler that writes each data frame back and flushes once per read
/// batch, on one event loop thread, with the same socket options as ours.
enum NIOEchoServer {
    static func start() async throws -> NIOBenchServer {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 24,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOEchoHandler())
                }
            }
        )
        return try await NIOBenchServer.bind("the NIO server") { group in
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    }
                }
        }
    }
}

/// Echoes data frames, answers pings, and completes the closing handshake.
final class NIOEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            context.write(
                wrapOutboundOut(WebSocketFrame(fin: frame.fin, opcode: frame.opcode, data: frame.unmaskedData)),
                promise: nil)
        case .ping:
            context.write(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            guard !closing else { return }
            closing = true
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
