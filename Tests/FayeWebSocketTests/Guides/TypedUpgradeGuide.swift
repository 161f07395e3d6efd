import FayeWebSocket
import NIOCore
import NIOHTTP1
import WebSocketDriver

/// What a connection became.
enum Connection: Sendable {
    case webSocket(WebSocket)
    case http
    case notUpgraded(any Error)
}

/// Sets up one accepted connection: an echo socket on `/echo`, plain HTTP for other requests,
/// and an answer for upgrades that were not made. Call it from the child channel initializer.
func configureTypedUpgrade(on channel: any Channel, options: WebSocketOptions) throws -> EventLoopFuture<Connection> {
    let echo = WebSocketRoute(options: options) { socket in
        socket.onMessage { message in socket.send(message) }
    }
    // Per connection: why its upgrade request, if any, was not upgraded.
    let reason = NIOLoopBoundBox((any Error)?.none, eventLoop: channel.eventLoop)
    let upgrader = WebSocketUpgrader(
        route: { request in request.request.path == "/echo" ? echo : nil },
        notUpgraded: { error, _ in reason.value = error }
    ).mapUpgradeResult(Connection.webSocket)
    let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Connection>(
        upgraders: [upgrader],
        notUpgradingCompletionHandler: { channel in
            channel.eventLoop.makeCompletedFuture {
                if let error = reason.value {
                    // NIO passes on only the end of this request: answer it from the reason.
                    try channel.pipeline.syncOperations.addHandler(NotUpgradedResponder(error))
                    return .notUpgraded(error)
                }
                try channel.pipeline.syncOperations.addHandler(
                    FayeHTTPHandler { _ in ServerResponse(text: "Hello over plain HTTP\n") })
                return .http
            }
        }
    )
    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
        configuration: NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade))
}

/// Answers an upgrade request that was not upgraded, when it ends (a refusal with its status,
/// headers and reason, as the embedded server does; a declined one with 404), then closes.
final class NotUpgradedResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let response: NotUpgradedResponse

    init(_ reason: any Error) {
        response = NotUpgradedResponse(reason: reason)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
