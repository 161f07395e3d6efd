#if Hummingbird
    public import FayeWebSocket
    import HTTPTypes
    public import HummingbirdCore
    public import Logging
    public import NIOCore
    import NIOHTTP1
    public import NIOHTTPTypes
    import NIOHTTPTypesHTTP1
    import WebSocketDriver

    /// Hummingbird's HTTP/1.1 child channel with an upgrade to our WebSockets: upgrade requests
    /// your `route` claims become `WebSocket`s (those it declines get `404`),
    /// every other request goes to the application's router as with `.http1()`.
    ///
    /// Build it through ``HummingbirdCore/HTTPServerBuilder/fayeWebSocketUpgrade(configuration:route:)``.
    public struct FayeHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
        /// What a connection became.
        public enum UpgradeResult: Sendable {
            /// One of our sockets, open.
            case webSocket(FayeWebSocket.WebSocket)
            /// An HTTP/1.1 connection for the router.
            case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
            /// An upgrade request that was not upgraded: a handshake the rules refused (answered
            /// with its status and reason) or one the route declined (`404`); the connection then
            /// closes. NIO's typed upgrade handler does not pass such a request's head on, so the
            /// router cannot see it.
            case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, NotUpgradedResponse)
        }

        /// The connection's upgrade, once decided.
        public struct Value: ServerChildChannelValue {
            let upgradeResult: EventLoopFuture<UpgradeResult>
            /// The connection.
            public let channel: any Channel
        }

        /// The HTTP side and the TLS of the channel.
        public struct Configuration: Sendable {
            /// Hummingbird's HTTP/1.1 configuration (decoder limits, idle timeout, handlers).
            public var http1: HTTP1Channel.Configuration
            /// TLS with the system OpenSSL (our `TLSHandler`), or `nil`.
            public var tls: TLSServerConfiguration?
            /// Whether connections are TLS by other means (Hummingbird's `.tls(...)` around this
            /// channel): the sockets' URLs are then `wss:`. Implied by `tls`.
            public var isTLS: Bool

            /// Creates a configuration.
            public init(
                http1: HTTP1Channel.Configuration = .init(), tls: TLSServerConfiguration? = nil, isTLS: Bool = false
            ) {
                self.http1 = http1
                self.tls = tls
                self.isTLS = isTLS
            }
        }

        /// The router's responder, for requests that are not upgraded.
        public let responder: HTTPChannelHandler.Responder
        private let configuration: Configuration
        private let tlsContext: TLSContext?
        private let route: @Sendable (ServerRequest) -> WebSocketRoute?

        /// Creates the channel.
        /// - Throws: a `TLSError` when the TLS certificate or key cannot be loaded.
        public init(
            responder: @escaping HTTPChannelHandler.Responder,
            configuration: Configuration,
            route: @escaping @Sendable (ServerRequest) -> WebSocketRoute?
        ) throws {
            self.responder = responder
            self.configuration = configuration
            self.tlsContext = try configuration.tls.map { try TLSContext(server: $0) }
            self.route = route
        }

        /// Puts TLS (if configured) and NIO's upgradable HTTP/1.1 pipeline on a new connection.
        public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            channel.eventLoop.makeCompletedFuture {
                if let tlsContext {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: tlsContext))
                }
                let notUpgraded = NIOLoopBoundBox((any Error)?.none, eventLoop: channel.eventLoop)
                let upgrader = FayeWebSocket.WebSocketUpgrader(
                    isTLS: tlsContext != nil || configuration.isTLS,
                    route: route,
                    notUpgraded: { error, _ in notUpgraded.value = error }
                )
                let upgrade = NIOTypedHTTPServerUpgradeConfiguration<UpgradeResult>(
                    upgraders: [upgrader.mapUpgradeResult(UpgradeResult.webSocket)],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let http = try addHTTPHandlers(to: channel, logger: logger)
                            guard let reason = notUpgraded.value else { return .http(http) }
                            return .notUpgraded(http, NotUpgradedResponse(reason: reason))
                        }
                    }
                )
                var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade)
                pipeline.enablePipelining = false  // NIOAsyncChannel serialises the requests
                pipeline.enableErrorHandling = false  // Hummingbird answers errors
                pipeline.enableResponseHeaderValidation = false  // HTTPTypes validates
                pipeline.decoderConfiguration.maxHeaderFieldSize = configuration.http1.httpDecoder.maxHeaderFieldSize
                pipeline.decoderConfiguration.maxHeaderListSize = configuration.http1.httpDecoder.maxHeaderListSize
                pipeline.decoderConfiguration.maxHeaderFieldCount = configuration.http1.httpDecoder.maxHeaderFieldCount
                let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                    configuration: pipeline)
                return Value(upgradeResult: result, channel: channel)
            }
        }

        /// Serves the connection: the router's requests, a socket until it closes, or the answer
        /// to an upgrade request that was not upgraded.
        public func handle(value: Value, logger: Logger) async {
            do {
                switch try await value.upgradeResult.get() {
                case .http(let http):
                    await handleHTTP(asyncChannel: http, logger: logger)
                case .webSocket(let socket):
                    // The connection's task lasts as long as the socket.
                    _ = try? await socket.closed()
                case .notUpgraded(let http, let response):
                    await answer(response, on: http, logger: logger)
                }
            } catch {
                logger.debug("Connection ended before its first request", metadata: ["error": "\(error)"])
            }
        }

        private func addHTTPHandlers(to channel: any Channel, logger: Logger) throws -> NIOAsyncChannel<
            HTTPRequestPart, HTTPResponsePart
        > {
            let secure = tlsContext != nil || configuration.isTLS
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
            try channel.pipeline.syncOperations.addHandlers(configuration.http1.additionalChannelHandlers())
            try channel.pipeline.syncOperations.addHandler(
                HTTPConnectionStateHandler(
                    idleTimeout: configuration.http1.idleTimeout.map { .init($0) }, logger: logger)
            )
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
        }

        /// Answers an upgrade request that was not upgraded, then closes the connection.
        private func answer(
            _ response: NotUpgradedResponse,
            on http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>,
            logger: Logger
        ) async {
            do {
                try await http.executeThenClose { _, outbound in
                    var fields = HTTPFields()
                    for field in response.headers {
                        if let name = HTTPField.Name(field.name) {
                            fields.append(HTTPField(name: name, value: field.value))
                        }
                    }
                    fields[.contentLength] = String(response.body.count)
                    fields[.connection] = "close"
                    let head = HTTPResponse(status: .init(code: response.status), headerFields: fields)
                    try await outbound.write(
                        contentsOf: [.head(head), .body(ByteBuffer(bytes: response.body)), .end(nil)])
                }
            } catch {
                logger.debug(
                    "Could not answer a WebSocket request that was not upgraded", metadata: ["error": "\(error)"])
            }
        }
    }

    extension HTTPServerBuilder {
        /// An HTTP/1.1 server whose WebSocket upgrades are ours: `route` picks the socket's
        /// options and setup for an upgrade request (by its path, say). Requests without upgrade
        /// headers go to the router; an upgrade request that `route` declines (`nil`) is answered
        /// `404` and its connection closed, because NIO's typed upgrade handler does not pass its
        /// head on to the router.
        ///
        /// ```swift
        /// let app = Application(
        ///     router: router,
        ///     server: .fayeWebSocketUpgrade { request in
        ///         request.request.path == "/echo"
        ///             ? WebSocketRoute(options: options) { socket in socket.onMessage { socket.send($0) } }
        ///             : nil
        ///     }
        /// )
        /// ```
        ///
        /// `route` is asked twice per upgrade (for the `101`, then for the socket): answer the
        /// same both times.
        public static func fayeWebSocketUpgrade(
            configuration: FayeHTTP1Channel.Configuration = .init(),
            route: @escaping @Sendable (ServerRequest) -> WebSocketRoute?
        ) -> HTTPServerBuilder {
            .init { responder in
                try FayeHTTP1Channel(responder: responder, configuration: configuration, route: route)
            }
        }
    }
#endif
