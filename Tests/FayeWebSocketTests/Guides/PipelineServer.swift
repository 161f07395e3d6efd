import FayeWebSocket
import NIOCore
import NIOHTTP1
import NIOPosix

/// Starts a server on your own NIO bootstrap: TLS first when `tls` is given, then NIO's
/// HTTP/1.1 handlers, then `FayeHTTPHandler`, which answers `/health` itself, takes `/echo`
/// over for an echoing WebSocket and answers everything else with 404.
/// Binds `port` on 127.0.0.1 (0 picks a free port: read `localAddress`).
func startPipelineServer(
    group: any EventLoopGroup,
    port: Int,
    tls: TLSServerConfiguration? = nil
) async throws -> any Channel {
    // One TLS context serves every connection, on any event loop.
    let tlsContext = try tls.map { try TLSContext(server: $0) }
    var handlerConfiguration = FayeHTTPHandler.Configuration()
    handlerConfiguration.isTLS = tls != nil  // for wss: URLs and ServerRequest.isTLS
    handlerConfiguration.maxBodySize = 64 * 1024

    let bootstrap = ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { [handlerConfiguration] channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                if let tlsContext {
                    try pipeline.addHandler(try TLSHandler(context: tlsContext))
                }
                // `withServerUpgrade`, even without upgraders, makes NIO's decoder pass on the
                // bytes that follow an upgrade request (early frames) instead of dropping them.
                try pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [], completionHandler: { _ in })
                )
                try pipeline.addHandler(FayeHTTPHandler(configuration: handlerConfiguration, responder: route))
            }
        }
    return try await bootstrap.bind(host: "127.0.0.1", port: port).get()
}

/// Answers one request; runs as a task per request.
@Sendable func route(_ request: ServerRequest) async -> ServerResponse {
    switch (request.request.path, request.isWebSocket) {
    case ("/health", false):
        return ServerResponse(text: "ok\n")
    case ("/echo", true):
        return .webSocket { socket in
            // Runs on the connection's event loop before the 101 is written.
            socket.onMessage { message in socket.send(message) }
        }
    default:
        return ServerResponse(status: 404, text: "Not found\n")
    }
}
