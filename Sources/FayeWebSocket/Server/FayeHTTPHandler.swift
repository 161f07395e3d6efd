public import ClientAddress
public import NIOCore
public import NIOHTTP1
import WebSocketDriver

/// The request handler of an HTTP/1.1 server pipeline: it collects each request (head and body,
/// bounded), asks the responder, and either writes an ordinary response or takes the connection
/// over (a WebSocket, an EventSource, or your own protocol).
///
/// It runs in the embedded ``FayeServer`` and can be mounted last in your own NIO pipeline:
///
/// ```swift
/// try channel.pipeline.syncOperations.configureHTTPServerPipeline(
///     withServerUpgrade: (upgraders: [], completionHandler: { _ in })
/// )
/// try channel.pipeline.syncOperations.addHandler(FayeHTTPHandler { request in
///     request.isWebSocket ? .webSocket { ws in ws.onMessage { ws.send($0) } } : ServerResponse(text: "hi")
/// })
/// ```
///
/// On takeover it removes NIO's HTTP handlers (decoder, encoder, pipelining, error and header
/// validation handlers, the upgrade handler) and itself; bytes the decoder already read past
/// the head reach the new handler when the decoder keeps them (`leftOverBytesStrategy:
/// .forwardBytes`, which `configureHTTPServerPipeline` uses when given `withServerUpgrade`).
public final class FayeHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// Request parts from NIO's HTTP decoder.
    public typealias InboundIn = HTTPServerRequestPart
    /// Response parts for NIO's HTTP encoder.
    public typealias OutboundOut = HTTPServerResponsePart

    /// Answers a request.
    public typealias Responder = @Sendable (ServerRequest) async -> ServerResponse

    /// Limits and facts about the connection.
    public struct Configuration: Sendable {
        /// The largest request body accepted (413 and close beyond it). Default 1 MiB.
        public var maxBodySize: Int = 1024 * 1024
        /// Whether the connection is TLS (for `wss:`/`https:` URLs).
        public var isTLS: Bool = false
        /// The proxies whose `Forwarded` and `X-Forwarded-*` fields name the client (see
        /// ``ServerRequest/remoteAddress``); empty (the default): none, and the connection's
        /// peer is the client.
        public var trustedProxies = TrustedProxies()
        /// The client's address when the connection told it before HTTP (a PROXY protocol
        /// header); `nil`: the channel's remote address.
        public var clientAddress: SocketAddress?

        /// Creates the default configuration.
        public init() {}
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, [UInt8])
        case discardingTooLarge
        case responding
        case takenOver
    }

    private let responder: Responder
    private let configuration: Configuration
    private var state = State.idle
    private var keepAlive = true

    /// Creates the handler.
    /// - Parameters:
    ///   - configuration: body limit and TLS flag.
    ///   - responder: answers each request; runs as a Swift task.
    public init(configuration: Configuration = Configuration(), responder: @escaping Responder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// Collects a request's head and body (413 beyond `maxBodySize`), then calls the responder.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, [])
        case (.body(var chunk), .receiving(let head, var body)):
            state = .responding
            guard body.count + chunk.readableBytes <= configuration.maxBodySize else {
                state = .discardingTooLarge
                keepAlive = false
                writeResponse(context: context, ServerResponse(status: 413, text: "Request body too large\n"))
                return
            }
            body.append(contentsOf: chunk.readBytes(length: chunk.readableBytes) ?? [])
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            state = .responding
            respond(context: context, head: head, body: body)
        case (_, .discardingTooLarge), (_, .takenOver):
            break
        default:
            // A part out of order (pipelined data while responding is held back by
            // HTTPServerPipelineHandler; anything else is a broken stream).
            context.close(promise: nil)
        }
    }

    /// Answers an unparsable request with 400 (431 for an oversized head) and closes; passes other errors on.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard case .idle = state else {
            context.close(promise: nil)
            return
        }
        let status = parserError == .headerOverflow ? 431 : 400
        let reason = status == 431 ? "Request Header Fields Too Large" : "Bad Request"
        keepAlive = false
        state = .responding
        writeResponse(context: context, ServerResponse(status: status, text: "\(reason)\n"))
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        // NIO's decoder parses nothing more after an upgrade request: answered with an ordinary
        // response, such a connection must close.
        keepAlive = head.isKeepAlive && !Self.asksForUpgrade(head)
        // Well-known long header names and values are shared literals: a WebSocket keeps its request.
        var request = ServerRequest(
            head: head, body: body, remoteAddress: configuration.clientAddress ?? context.channel.remoteAddress,
            isTLS: configuration.isTLS)
        request.peerAddress = context.channel.remoteAddress
        request.resolveForwarding(through: configuration.trustedProxies)
        let resolved = request
        let responder = self.responder
        let promise = context.eventLoop.makePromise(of: ServerResponse.self)
        promise.completeWithTask { await responder(resolved) }
        promise.futureResult.assumeIsolated().whenSuccess { response in
            if let takeover = response.takeover {
                self.takeOver(context: context, request: resolved, with: takeover)
            } else {
                self.writeResponse(context: context, response)
            }
        }
    }

    /// Whether NIO's HTTP decoder treats the request as an upgrade (and stops parsing after it).
    private static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        if head.method == .CONNECT { return true }
        let connectionUpgrade = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        return connectionUpgrade && head.headers.contains(name: "upgrade")
    }

    private func writeResponse(context: ChannelHandlerContext, _ response: ServerResponse) {
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let closeAfter = !keepAlive
        // Ready for the next request before writing the end: NIO's pipelining handler delivers a
        // request it held back as soon as it sees the end go by.
        if !closeAfter, case .responding = state { state = .idle }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if closeAfter { context.close(promise: nil) }
        }
    }

    private func takeOver(context: ChannelHandlerContext, request: ServerRequest, with takeover: any ConnectionTakeover)
    {
        state = .takenOver
        let pipeline = context.pipeline.syncOperations
        do {
            let (handler, start) = try takeover.makeHandler(for: request, channel: context.channel)
            try pipeline.addHandler(handler, position: .after(self))
            // Outbound HTTP handlers first, so the new handler's bytes go straight out.
            removeIfPresent(HTTPResponseEncoder.self, from: pipeline)
            removeIfPresent(NIOHTTPResponseHeadersValidator.self, from: pipeline)
            removeIfPresent(HTTPServerPipelineHandler.self, from: pipeline)
            removeIfPresent(HTTPServerProtocolErrorHandler.self, from: pipeline)
            removeIfPresent(HTTPServerUpgradeHandler.self, from: pipeline)
            removeIfPresent(HandshakeTimeoutHandler.self, from: pipeline)
            pipeline.removeHandler(context: context, promise: nil)
            // The decoder last: bytes it read past the head flow on to the new handler. Its
            // removal is deferred and forwards them as a read with no read-complete after it, so
            // end that read batch (the new handler flushes what it answered).
            if let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) {
                let removed = context.eventLoop.makePromise(of: Void.self)
                pipeline.removeHandler(context: decoder, promise: removed)
                let channel = context.channel
                removed.futureResult.assumeIsolated().whenSuccess {
                    channel.pipeline.syncOperations.fireChannelReadComplete()
                }
            }
            start()
            // The pipelining handler may have held back a read while the request was answered.
            context.channel.read()
        } catch {
            context.close(promise: nil)
        }
    }

    private func removeIfPresent<Handler: ChannelHandler>(
        _ type: Handler.Type,
        from pipeline: ChannelPipeline.SynchronousOperations
    ) {
        guard let handlerContext = try? pipeline.context(handlerType: type) else { return }
        pipeline.removeHandler(context: handlerContext, promise: nil)
    }
}
