#if Vapor
    public import FayeWebSocket
    import NIOCore
    import NIOHTTP1
    public import Vapor
    import WebSocketDriver

    extension Request {
        /// This request as our sockets see it: method, target, version, headers, the peer's
        /// address, and whether the application serves TLS.
        public var fayeServerRequest: ServerRequest {
            ServerRequest(
                request: IncomingRequest(
                    method: method.rawValue,
                    target: url.string,
                    version: "HTTP/\(version.major).\(version.minor)",
                    headers: HeaderFields(headers.map { ($0.name, $0.value) })
                ),
                remoteAddress: remoteAddress,
                isTLS: application.http.server.configuration.tlsConfiguration != nil
            )
        }

        /// Whether this is a WebSocket upgrade request.
        public var isFayeWebSocketRequest: Bool { Driver.isWebSocketRequest(fayeServerRequest.request) }

        /// Accepts the request as one of our WebSockets, the way Vapor's `req.webSocket` does:
        /// return the response from your route.
        ///
        /// ```swift
        /// app.get("echo") { req in
        ///     req.fayeWebSocket(options: options) { socket in
        ///         socket.onMessage { socket.send($0) }
        ///     }
        /// }
        /// ```
        ///
        /// The response is the `101` (accept key, chosen subprotocol, negotiated extensions)
        /// whose upgrade installs the socket, or — for a request the handshake rules refuse —
        /// the same status and reason the embedded server answers (400, or 426 with
        /// `Sec-WebSocket-Version: 13`); the application keeps serving.
        ///
        /// - Parameters:
        ///   - options: subprotocols, extensions (`PermessageDeflate()`), `maxLength`, ping,
        ///     pong and close timeouts, exactly as for the embedded server.
        ///   - setup: receives the socket on its event loop before it opens.
        public func fayeWebSocket(
            options: WebSocketOptions = WebSocketOptions(),
            setup: @escaping @Sendable (FayeWebSocket.WebSocket) -> Void
        ) -> Response {
            let request = fayeServerRequest
            let handshake: HostedHandshake
            do {
                handshake = try HostedHandshake.decide(request, options: options)
            } catch let refusal as HandshakeRefusal {
                return Response(refusal)
            } catch {
                return Response(status: .internalServerError, body: .init(string: "\(error)\n"))
            }
            let response = Response(
                status: .switchingProtocols,
                headers: HTTPHeaders(handshake.accepted.headers.map { ($0.name, $0.value) })
            )
            let route = WebSocketRoute(options: options, setup: setup)
            response.upgrader = FayeVaporUpgrader(
                upgrader: FayeWebSocket.WebSocketUpgrader(isTLS: request.isTLS) { _ in route })
            return response
        }

        /// Accepts the request as one of our WebSockets and runs `session` with it in a task of
        /// its own: when `session` returns the socket closes with 1000, when it throws with
        /// 1011; when the connection ends first the task is cancelled (as
        /// `ServerResponse.webSocketSession(options:_:)`).
        ///
        /// ```swift
        /// app.get("echo") { req in
        ///     req.fayeWebSocketSession { socket in
        ///         for try await message in socket.messages { try await socket.send(message) }
        ///     }
        /// }
        /// ```
        public func fayeWebSocketSession(
            options: WebSocketOptions = WebSocketOptions(),
            _ session: @escaping @Sendable (FayeWebSocket.WebSocket) async throws -> Void
        ) -> Response {
            fayeWebSocket(options: options) { socket in socket.runSession(session) }
        }
    }

    extension Response {
        /// The answer to a refused handshake: its status, headers and reason.
        convenience init(_ refusal: HandshakeRefusal) {
            self.init(
                status: HTTPResponseStatus(statusCode: refusal.status),
                headers: HTTPHeaders(refusal.headers.map { ($0.name, $0.value) }),
                body: .init(string: refusal.reason)
            )
        }
    }

    /// Hands Vapor's upgrade machinery our upgrader.
    struct FayeVaporUpgrader: Upgrader {
        let upgrader: FayeWebSocket.WebSocketUpgrader

        func applyUpgrade(req: Request, res: Response) -> any HTTPServerProtocolUpgrader {
            upgrader
        }
    }
#endif
