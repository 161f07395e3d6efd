public import NIOCore
public import NIOHTTP1
public import WebSocketDriver

/// A WebSocket handshake accepted for a host server that writes the `101` itself (NIO's
/// upgraders, Vapor, Hummingbird): the driver's decision, then the socket on the channel.
///
/// Use it when you write an integration of your own; ``WebSocketUpgrader`` and the FayeVapor and
/// FayeHummingbird products are built on it.
public struct HostedHandshake {
    /// The request, as the socket reports it.
    public let request: ServerRequest
    /// The driver's acceptance: the `101`'s headers, the chosen subprotocol and extensions.
    public let accepted: AcceptedHandshake
    /// The socket's options.
    public let options: WebSocketOptions

    /// Decides on `request` with the rules of every server driver.
    /// - Throws: `HandshakeRefusal` with the status, headers and reason to answer (400, or 426
    ///   for a version other than 13); any error the options' extensions raise when added.
    public static func decide(_ request: ServerRequest, options: WebSocketOptions) throws -> HostedHandshake {
        switch Driver.decide(request.request, options: try options.driverOptions()) {
        case .accept(let accepted):
            return HostedHandshake(request: request, accepted: accepted, options: options)
        case .refuse(let refusal):
            throw refusal
        }
    }

    /// Puts the socket on `channel` (whose HTTP handlers must be gone and whose `101` must be
    /// written), runs `setup` with it on the event loop, and opens it.
    ///
    /// Call on the channel's event loop. Bytes that reach the end of the pipeline's new handler
    /// are the WebSocket's.
    /// - Returns: the open socket.
    public func install(
        on channel: any Channel,
        position: ChannelPipeline.SynchronousOperations.Position = .last,
        setup: (WebSocket) -> Void
    ) throws -> WebSocket {
        let handler = WebSocketHandler.server(for: request, options: options, channel: channel) { output in
            Driver.accepted(accepted, output: output)
        }
        let socket = handler.socket
        try channel.pipeline.syncOperations.addHandler(handler, position: position)
        setup(socket)
        handler.start()
        return socket
    }
}

extension ServerRequest {
    /// The request of a NIO HTTP/1.1 head and its body.
    public init(head: HTTPRequestHead, body: [UInt8] = [], remoteAddress: SocketAddress?, isTLS: Bool) {
        self.init(
            request: IncomingRequest(
                method: head.method.rawValue,
                target: head.uri,
                version: "HTTP/\(head.version.major).\(head.version.minor)",
                headers: HeaderFields(
                    head.headers.map { (CommonHeaderStrings.shared($0.name), CommonHeaderStrings.shared($0.value)) }
                ),
                body: body
            ),
            remoteAddress: remoteAddress,
            isTLS: isTLS
        )
    }
}
