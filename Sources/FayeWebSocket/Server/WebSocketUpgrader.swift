public import NIOCore
public import NIOHTTP1
import WebSocketDriver

/// Hosts our WebSockets in any server built on NIO's HTTP/1.1 upgrade machinery: it conforms to
/// both `HTTPServerProtocolUpgrader` (for `configureHTTPServerPipeline(withServerUpgrade:)`) and
/// `NIOTypedHTTPServerProtocolUpgrader` (for `configureUpgradableHTTPServerPipeline`, where the
/// upgrade's result is the ``WebSocket``).
///
/// ```swift
/// let upgrader = WebSocketUpgrader(options: options) { socket in
///     socket.onMessage { socket.send($0) }
/// }
/// try channel.pipeline.syncOperations.configureHTTPServerPipeline(
///     withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in /* remove your HTTP handler */ })
/// )
/// ```
///
/// The handshake follows the driver's rules (`Driver.decide(_:options:)`): the `101` carries
/// the accept key, the chosen subprotocol and the negotiated extensions. Bytes that arrived after
/// the request head reach the socket: nothing is lost.
///
/// A request the rules refuse (or the route declines) is not upgraded. NIO fires the reason, a
/// `HandshakeRefusal` (or ``WebSocketUpgraderError/notAccepted``), down the pipeline. The
/// classic machinery then hands the request to your HTTP handler, which should answer it
/// (``NotUpgradedResponse`` says how). The typed machinery does not pass that request's head on
/// (swift-nio 2.101): learn the reason from `notUpgraded` instead, see
/// ``init(isTLS:route:notUpgraded:)``.
///
/// The upgrader keeps no state of its own between the two calls NIO makes: one instance can
/// serve every connection.
public struct WebSocketUpgrader: HTTPServerProtocolUpgrader, NIOTypedHTTPServerProtocolUpgrader, Sendable {
    /// The typed upgrade's result: the open socket.
    public typealias UpgradeResult = WebSocket

    /// `websocket`.
    public let supportedProtocol = "websocket"
    /// None: a request missing `Sec-WebSocket-Key` or `-Version` is refused with the right
    /// status (400, 426) instead of being passed over silently.
    public let requiredUpgradeHeaders: [String] = []

    private let isTLS: Bool
    private let route: @Sendable (ServerRequest) -> WebSocketRoute?
    private let notUpgraded: (@Sendable (any Error, any Channel) -> Void)?

    /// Creates an upgrader.
    /// - Parameters:
    ///   - options: subprotocols, extensions, `maxLength`, ping and timeouts, as for any socket.
    ///   - isTLS: whether the connections are TLS (the sockets' URLs are then `wss:`).
    ///   - shouldUpgrade: decides per request (its path, say) whether to upgrade; on `false`
    ///     the request is not upgraded (``WebSocketUpgraderError/notAccepted``).
    ///   - setup: receives each socket on its event loop before it opens, so listeners it adds
    ///     see every event.
    public init(
        options: WebSocketOptions = WebSocketOptions(),
        isTLS: Bool = false,
        shouldUpgrade: @escaping @Sendable (ServerRequest) -> Bool = { _ in true },
        setup: @escaping @Sendable (WebSocket) -> Void
    ) {
        let route = WebSocketRoute(options: options, setup: setup)
        self.init(isTLS: isTLS, route: { request in shouldUpgrade(request) ? route : nil })
    }

    /// Creates an upgrader that chooses options and setup per request.
    /// - Parameters:
    ///   - isTLS: whether the connections are TLS (the sockets' URLs are then `wss:`).
    ///   - route: the socket's options and setup for a request, or `nil` to pass the request
    ///     on to your HTTP handler. It is asked twice per upgrade (for the `101`, then for the
    ///     socket): it must answer the same both times.
    ///   - notUpgraded: called on the event loop with why a request was not upgraded (a
    ///     `HandshakeRefusal`, or ``WebSocketUpgraderError/notAccepted`` when `route` said
    ///     `nil`) and its channel, before NIO moves on. The typed machinery does not pass such a
    ///     request's head on to the handlers its not-upgrading initializer adds (swift-nio
    ///     2.101), so that is where to learn what to answer.
    public init(
        isTLS: Bool = false,
        route: @escaping @Sendable (ServerRequest) -> WebSocketRoute?,
        notUpgraded: (@Sendable (any Error, any Channel) -> Void)? = nil
    ) {
        self.isTLS = isTLS
        self.route = route
        self.notUpgraded = notUpgraded
    }

    /// Decides on the request: the `101`'s headers, or a failed future with the
    /// `HandshakeRefusal` (or ``WebSocketUpgraderError/notAccepted`` when the request is not
    /// for a socket).
    public func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        channel.eventLoop.makeCompletedFuture {
            let request = serverRequest(upgradeRequest, channel: channel)
            let handshake: HostedHandshake
            do {
                guard let route = route(request) else { throw WebSocketUpgraderError.notAccepted }
                handshake = try HostedHandshake.decide(request, options: route.options)
            } catch {
                notUpgraded?(error, channel)
                throw error
            }
            var headers = initialResponseHeaders
            for field in handshake.accepted.headers { headers.replaceOrAdd(name: field.name, value: field.value) }
            return headers
        }
    }

    /// Installs the socket after the `101` (for `configureHTTPServerPipeline`): its handler goes
    /// right after the upgrade handler, which then replays what it buffered.
    public func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        return channel.eventLoop.makeCompletedFuture {
            // After the upgrade handler when it is still there (NIO's own removes itself later,
            // replaying what it buffered); last otherwise (Vapor's is gone by now).
            let upgradeHandlerPresent = (try? channel.pipeline.syncOperations.context(handler: context.handler)) != nil
            _ = try install(
                upgradeRequest, channel: channel, position: upgradeHandlerPresent ? .after(context.handler) : .last)
        }
    }

    /// Installs the socket after the `101` (for `configureUpgradableHTTPServerPipeline`) and
    /// returns it.
    public func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<WebSocket> {
        channel.eventLoop.makeCompletedFuture {
            try install(upgradeRequest, channel: channel, position: .last)
        }
    }

    private func install(
        _ head: HTTPRequestHead,
        channel: any Channel,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws -> WebSocket {
        // The decision is a pure function of the request and the options: taken again here, it
        // needs no state carried between NIO's two calls.
        let request = serverRequest(head, channel: channel)
        guard let route = route(request) else { throw WebSocketUpgraderError.notAccepted }
        return try HostedHandshake.decide(request, options: route.options)
            .install(on: channel, position: position, setup: route.setup)
    }

    private func serverRequest(_ head: HTTPRequestHead, channel: any Channel) -> ServerRequest {
        ServerRequest(head: head, remoteAddress: channel.remoteAddress, isTLS: isTLS)
    }
}

/// What a request upgraded by ``WebSocketUpgrader`` becomes: the socket's options and the setup
/// that receives it.
public struct WebSocketRoute: Sendable {
    /// The socket's options.
    public var options: WebSocketOptions
    /// Receives the socket on its event loop before it opens.
    public var setup: @Sendable (WebSocket) -> Void

    /// Creates a route.
    public init(options: WebSocketOptions = WebSocketOptions(), setup: @escaping @Sendable (WebSocket) -> Void) {
        self.options = options
        self.setup = setup
    }
}

/// Why ``WebSocketUpgrader`` did not upgrade a request it was offered.
public enum WebSocketUpgraderError: Error, Sendable, Hashable {
    /// The upgrader's `shouldUpgrade` (or route) declined the request.
    case notAccepted
}
