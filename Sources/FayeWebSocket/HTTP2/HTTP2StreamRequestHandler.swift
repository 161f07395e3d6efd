import ClientAddress
import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2
import WebSocketDriver

/// Serves one HTTP/2 stream of ``FayeServer``: turns the request's `HEADERS` (and `DATA`, up
/// to the body limit) into a ``ServerRequest``, asks the responder, and answers with `HEADERS`
/// and `DATA`, or hands the stream to a takeover's handler (a WebSocket by extended CONNECT,
/// an EventSource) behind an ``HTTP2StreamBytesHandler``.
final class HTTP2StreamRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// What the stream handler needs from its connection.
    struct Connection {
        var responder: FayeHTTPHandler.Responder
        var maxBodySize: Int
        /// The most regular header fields in a request (pseudo-headers not counted); 431 beyond.
        var maxHeaderCount: Int
        var isTLS: Bool
        var remoteAddress: SocketAddress?
        /// The connection's own peer (a proxy's address, when a PROXY header named the client).
        var peerAddress: SocketAddress?
        var trustedProxies: TrustedProxies
        var streamCloseTimeout: Duration
        var logger: Logger?
    }

    private enum State {
        case awaitingHeaders
        case receivingBody(IncomingRequest)
        case responding
        case done
    }

    private let connection: Connection
    private var state = State.awaitingHeaders
    /// The client ended its side (END_STREAM seen).
    private var requestEnded = false

    init(connection: Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.headers(let headers), .awaitingHeaders):
            requestEnded = headers.endStream
            receivedHead(context: context, headers.headers)
        case (.data(let data), .receivingBody(var request)):
            if data.endStream { requestEnded = true }
            if case .byteBuffer(let bytes) = data.data, bytes.readableBytes > 0 {
                guard request.body.count + bytes.readableBytes <= connection.maxBodySize else {
                    state = .responding
                    respond(context: context, ServerResponse(status: 413, text: "Request body too large\n"))
                    return
                }
                state = .responding  // no copy-on-write of the body while it grows
                request.body += bytes.readableBytesView
            }
            if requestEnded {
                state = .responding
                callResponder(context: context, request: request)
            } else {
                state = .receivingBody(request)
            }
        case (.headers(let trailers), .receivingBody(let request)) where trailers.endStream:
            // Trailers end the request; their fields are not kept.
            requestEnded = true
            state = .responding
            callResponder(context: context, request: request)
        default:
            // DATA after the request ended is the stream state machine's to refuse; anything
            // while responding (a client still sending a refused body) is dropped.
            if case .data(let data) = unwrapInboundIn(data), data.endStream { requestEnded = true }
        }
    }

    // MARK: - The request

    private func receivedHead(context: ChannelHandlerContext, _ block: HPACKHeaders) {
        let fieldCount = block.count(where: { $0.name.utf8.first != UInt8(ascii: ":") })
        guard fieldCount <= connection.maxHeaderCount else {
            // As over HTTP/1.1 (maxHeaderCount): the header list size alone would let a
            // request of many tiny fields through.
            state = .responding
            respond(context: context, ServerResponse(status: 431, text: "Request Header Fields Too Large\n"))
            return
        }
        guard let request = Self.request(from: block) else {
            // NIO validated the pseudo-headers; this is a block it let through without a method.
            state = .responding
            respond(context: context, ServerResponse(status: 400, text: "Bad Request\n"))
            return
        }
        if request.method == "CONNECT" && request.extendedConnectProtocol == nil {
            // A tunnel to another host: this server is not a proxy.
            state = .responding
            respond(
                context: context,
                ServerResponse(status: 405, headers: ["Allow": "GET, HEAD, POST"], text: "CONNECT is not served here\n")
            )
            return
        }
        // An extended CONNECT's body is the tunnel: answer at once.
        if requestEnded || request.extendedConnectProtocol != nil {
            state = .responding
            callResponder(context: context, request: request)
        } else {
            state = .receivingBody(request)
        }
    }

    /// The request of an HTTP/2 header block: `:method`, `:path` as the target, `:authority`
    /// as a `Host` field first, the regular fields in order (`cookie` fields joined with `; `,
    /// RFC 9113 §8.2.3), and `:protocol` as ``IncomingRequest/extendedConnectProtocol``.
    static func request(from block: HPACKHeaders) -> IncomingRequest? {
        var method: String?
        var path: String?
        var authority: String?
        var connectProtocol: String?
        var fields: [(String, String)] = []
        var cookies: [String] = []
        for (name, value, _) in block {
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = value
                case ":path": path = value
                case ":authority": authority = value
                case ":protocol": connectProtocol = value
                default: break
                }
            } else if name == "cookie" {
                cookies.append(value)
            } else {
                fields.append((CommonHeaderStrings.shared(name), CommonHeaderStrings.shared(value)))
            }
        }
        guard let method else { return nil }
        var headers = HeaderFields()
        if let authority { headers.append(name: "Host", value: authority) }
        for (name, value) in fields { headers.append(name: name, value: value) }
        if !cookies.isEmpty { headers.append(name: "cookie", value: cookies.joined(separator: "; ")) }
        return IncomingRequest(
            method: method,
            target: path ?? "",
            version: "HTTP/2",
            headers: headers,
            extendedConnectProtocol: connectProtocol
        )
    }

    private func callResponder(context: ChannelHandlerContext, request incoming: IncomingRequest) {
        var request = ServerRequest(
            request: incoming, remoteAddress: connection.remoteAddress, isTLS: connection.isTLS)
        request.peerAddress = connection.peerAddress
        request.resolveForwarding(through: connection.trustedProxies)
        let resolved = request
        let responder = connection.responder
        let promise = context.eventLoop.makePromise(of: ServerResponse.self)
        promise.completeWithTask { await responder(resolved) }
        promise.futureResult.assumeIsolated().whenSuccess { response in
            guard context.channel.isActive else { return }
            if let takeover = response.takeover {
                self.takeOver(context: context, request: resolved, with: takeover)
            } else {
                self.respond(context: context, response, isHead: incoming.method == "HEAD")
            }
        }
    }

    // MARK: - The response

    /// Writes an ordinary response and ends the stream (resetting it when the client is still
    /// sending a request body nobody will read).
    private func respond(context: ChannelHandlerContext, _ response: ServerResponse, isHead: Bool = false) {
        state = .done
        var headers = Self.responseHeaders(status: response.status, response.headers)
        headers.add(name: "content-length", value: String(response.body.count))
        let hasBody = !response.body.isEmpty && !isHead
        let written: EventLoopFuture<Void>
        if hasBody {
            context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            written = context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: true))))
        } else {
            written = context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))))
        }
        guard !requestEnded else { return }
        written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// The `:status` and the response fields, lowercased, without the fields HTTP/2 forbids
    /// (RFC 9113 §8.2.2).
    static func responseHeaders(status: Int, _ fields: HeaderFields) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.add(name: ":status", value: String(status))
        for field in fields {
            let name = field.name.lowercased()
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length":
                continue
            default:
                headers.add(name: name, value: field.value)
            }
        }
        return headers
    }

    private func takeOver(context: ChannelHandlerContext, request: ServerRequest, with takeover: any ConnectionTakeover)
    {
        let stream: HTTP2StreamTakeover
        do {
            guard let made = try takeover.makeHTTP2Stream(for: request, channel: context.channel) else {
                state = .done
                context.writeAndFlush(wrapOutboundOut(.rstStream(.http11Required)), promise: nil)
                context.close(promise: nil)
                return
            }
            stream = made
        } catch let refusal as HandshakeRefusal {
            ServerMetrics.current?.handshakeRefused(ServerMetrics.reason(for: refusal.error))
            respond(
                context: context,
                ServerResponse(status: refusal.status, headers: refusal.headers, body: refusal.body))
            return
        } catch {
            respond(context: context, ServerResponse(status: 500, text: "Internal Server Error\n"))
            return
        }
        state = .done
        let headers = Self.responseHeaders(status: stream.status, stream.headers)
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: false))), promise: nil)
        let pipeline = context.pipeline.syncOperations
        do {
            let bytes = HTTP2StreamBytesHandler(peerEnded: requestEnded, closeTimeout: connection.streamCloseTimeout)
            try pipeline.addHandler(bytes, position: .after(self))
            try pipeline.addHandler(stream.handler, position: .after(bytes))
        } catch {
            context.close(promise: nil)
            return
        }
        if let logger = connection.logger {
            let streamID =
                (try? context.channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID))
                .map { "\(Int($0))" } ?? "?"
            logger.info(
                "h2 stream \(streamID) from \(request.clientDescription): \(stream.name) \(request.request.target)")
        }
        pipeline.removeHandler(context: context, promise: nil)
        stream.start()
        context.channel.read()
    }
}
