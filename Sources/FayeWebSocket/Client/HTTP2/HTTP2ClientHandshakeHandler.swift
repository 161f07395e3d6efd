import NIOCore
import NIOHPACK
import NIOHTTP2
import WebSocketDriver

/// The opening of a client WebSocket on an HTTP/2 stream: sends the driver's extended CONNECT
/// (RFC 8441 §4) as HEADERS and hands the response HEADERS to the socket's handler, then leaves
/// the stream's pipeline: the stream's DATA goes straight to the ``HTTP2StreamBytesHandler``
/// behind it, one handler fewer on every frame.
final class HTTP2ClientHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let socketHandler: WebSocketHandler
    private var context: ChannelHandlerContext?
    private var answered = false

    init(socketHandler: WebSocketHandler) {
        self.socketHandler = socketHandler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Sends `request` (from ``Driver/extendedConnectRequest``) as the stream's HEADERS.
    func send(_ request: IncomingRequest) {
        guard let context else { return }
        let headers = Self.headerBlock(for: request)
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
    }

    /// `:method`, `:protocol`, `:scheme` (https), `:path`, `:authority` from `Host`, then the
    /// other fields lowercased.
    static func headerBlock(for request: IncomingRequest) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.add(name: ":method", value: request.method)
        if let connectProtocol = request.extendedConnectProtocol {
            headers.add(name: ":protocol", value: connectProtocol)
        }
        headers.add(name: ":scheme", value: "https")
        headers.add(name: ":path", value: request.target)
        headers.add(name: ":authority", value: request.headers.first("Host") ?? "")
        for field in request.headers where field.name.lowercased() != "host" {
            headers.add(name: field.name.lowercased(), value: field.value)
        }
        return headers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        guard case .headers(let block) = payload, !answered else {
            context.fireChannelRead(data)
            return
        }
        guard let response = Self.response(from: block.headers) else { return }  // 1xx: wait on
        answered = true
        socketHandler.extendedConnectAnswered(response)
        // Anything after the response (DATA, trailers) is the bytes handler's.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The response of a final (non-1xx) header block; `nil` for an informational one.
    static func response(from block: HPACKHeaders) -> HandshakeResponse? {
        var status = 0
        var fields = HeaderFields()
        for (name, value, _) in block {
            if name == ":status" {
                status = Int(value) ?? 0
            } else if name.utf8.first != UInt8(ascii: ":") {
                fields.append(name: name, value: value)
            }
        }
        if (100..<200).contains(status) { return nil }
        return HandshakeResponse(version: "HTTP/2", status: status, reason: "", headers: fields)
    }
}
