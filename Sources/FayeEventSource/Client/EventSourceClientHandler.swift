import EventStream
import FayeWebSocket
import NIOCore
import NIOHTTP1
import WebSocketDriver

/// What one connection of an ``EventSourceClient`` reports to it, on the event loop.
protocol EventSourceConnectionDelegate: AnyObject {
    /// The response head arrived.
    func connection(_ connection: EventSourceClientHandler, receivedHead head: HTTPResponseHead)
    /// The parser produced outputs; `lastEventID` is the one in force after them.
    func connection(
        _ connection: EventSourceClientHandler, parsed outputs: [EventStreamParser.Output], lastEventID: String)
    /// The connection ended (once): the stream's end, a network error, a bound exceeded.
    func connection(_ connection: EventSourceClientHandler, endedWith error: EventSourceClientError)
}

/// The request of one attempt.
struct EventSourceRequestHead: Sendable {
    var target: EventSourceTarget
    var method: String
    var headers: HeaderFields
    var body: [UInt8]?
    var lastEventID: String

    /// The HTTP/1.1 request head: the caller's headers, plus what an EventSource sends.
    var httpHead: HTTPRequestHead {
        var fields = HTTPHeaders()
        let url = target.transport
        fields.add(name: "Host", value: headers.first("Host") ?? url.hostHeader)
        for (name, value) in [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
        where !headers.contains(name) {
            fields.add(name: name, value: value)
        }
        if !lastEventID.isEmpty && !headers.contains("Last-Event-ID") {
            fields.add(name: "Last-Event-ID", value: lastEventID)
        }
        if let user = url.user, !headers.contains("Authorization") {
            fields.add(
                name: "Authorization",
                value: "Basic \(Base64.encode(Array((user + ":" + (url.password ?? "")).utf8)))")
        }
        for field in headers where !field.name.equalsIgnoringASCIICase("Host") {
            fields.add(name: field.name, value: field.value)
        }
        if let body, !headers.contains("Content-Length") {
            fields.add(name: "Content-Length", value: String(body.count))
        }
        return HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method), uri: url.requestTarget, headers: fields)
    }
}

/// One connection of an ``EventSourceClient``: writes the request, reads the response through
/// NIO's HTTP/1.1 decoder, parses the body as an event stream, watches for idleness, and stops
/// reading while the client's consumer is behind.
final class EventSourceClientHandler: ChannelDuplexHandler, ClientConnectionHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let request: EventSourceRequestHead
    private weak var delegate: (any EventSourceConnectionDelegate)?
    private let idleTimeout: Duration?
    private let loop: any EventLoop
    private var parser: EventStreamParser
    private var outputs: [EventStreamParser.Output] = []
    private var context: ChannelHandlerContext?
    private var startRequested = false
    private var requestSent = false
    private var streaming = false
    private var ended = false
    private var opening = true
    private var openingWaiters: [@Sendable () -> Void] = []
    private var paused = false
    private var readPending = false
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var idleTimer: Scheduled<Void>?

    init(
        request: EventSourceRequestHead,
        limits: EventStreamParser.Limits,
        idleTimeout: Duration?,
        loop: any EventLoop,
        delegate: any EventSourceConnectionDelegate
    ) {
        self.request = request
        self.parser = EventStreamParser(lastEventID: request.lastEventID, limits: limits)
        self.idleTimeout = idleTimeout
        self.loop = loop
        self.delegate = delegate
    }

    // MARK: - ClientConnectionHandler

    func channelHandlers() -> [any ChannelHandler] {
        [HTTPRequestEncoder(), ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)), self]
    }

    func start() {
        startRequested = true
        guard let context, context.channel.isActive else { return }
        sendRequest(context: context)
    }

    func connectionFailed(_ error: WebSocketError) {
        end(EventSourceClientError(transport: error))
    }

    var isOpening: Bool { opening && !ended }

    func whenOpeningEnds(_ body: @escaping @Sendable () -> Void) {
        if isOpening { openingWaiters.append(body) } else { body() }
    }

    // MARK: - Control from the client

    /// Closes the connection; nothing more is reported.
    func cancel() {
        delegate = nil
        finishOpening()
        ended = true
        idleTimer?.cancel()
        context?.close(promise: nil)
    }

    /// The consumer fell behind: stop reading until ``resumeReading()``.
    func pauseReading() {
        paused = true
    }

    func resumeReading() {
        guard paused else { return }
        paused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if startRequested && context.channel.isActive { sendRequest(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if startRequested { sendRequest(context: context) }
        context.fireChannelActive()
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        lastActivity = loop.now
        switch unwrapInboundIn(data) {
        case .head(let head):
            finishOpening()
            streaming = head.status == .ok
            delegate?.connection(self, receivedHead: head)
        case .body(let buffer):
            guard streaming else { return }
            outputs.removeAll(keepingCapacity: true)
            let failure = buffer.withUnsafeReadableBytes { bytes -> EventStreamError? in
                do throws(EventStreamError) {
                    try parser.parse(bytes, into: &outputs)
                    return nil
                } catch {
                    return error
                }
            }
            report(outputs)
            if let failure {
                end(EventSourceClientError(.stream(failure), message: "Network error: \(request.target): \(failure)"))
            }
        case .end:
            end(
                EventSourceClientError(
                    .connectionLost, message: "Network error: \(request.target): the server ended the stream"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let kind: EventSourceClientError.Kind = (error as? TLSError).map { .tls($0) } ?? .connectionLost
        end(EventSourceClientError(kind, message: "Network error: \(request.target): \(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(
            EventSourceClientError(
                .connectionLost,
                message: "Network error: \(request.target): the connection closed"
                    + (streaming ? "" : " before the response head")))
        context.fireChannelInactive()
    }

    // MARK: - Internals

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent, !ended else { return }
        requestSent = true
        context.write(wrapOutboundOut(.head(request.httpHead)), promise: nil)
        if let body = request.body, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        lastActivity = loop.now
        scheduleIdleCheck(after: idleTimeout)
    }

    private func report(_ outputs: [EventStreamParser.Output]) {
        delegate?.connection(self, parsed: outputs, lastEventID: parser.lastEventID)
    }

    /// Checks for idleness at the deadline; a read since then moves the deadline instead of
    /// rescheduling a timer per read.
    private func scheduleIdleCheck(after delay: Duration?) {
        guard let delay, !ended else { return }
        idleTimer = loop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            guard let timeout = idleTimeout, !ended else { return }
            let deadline = lastActivity + TimeAmount(timeout)
            let now = loop.now
            if deadline > now {
                scheduleIdleCheck(after: .nanoseconds((deadline - now).nanoseconds))
                return
            }
            let milliseconds =
                timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            end(
                EventSourceClientError(
                    .idleTimeout(timeout),
                    message: "Network error: \(request.target): no data for \(milliseconds) ms"))
        }
    }

    private func finishOpening() {
        guard opening else { return }
        opening = false
        let waiters = openingWaiters
        openingWaiters = []
        for waiter in waiters { waiter() }
    }

    /// Reports the end once and closes the connection.
    private func end(_ error: EventSourceClientError) {
        guard !ended else { return }
        ended = true
        finishOpening()
        idleTimer?.cancel()
        let delegate = self.delegate
        self.delegate = nil
        context?.close(promise: nil)
        delegate?.connection(self, endedWith: error)
    }
}

extension String {
    fileprivate func equalsIgnoringASCIICase(_ other: String) -> Bool {
        utf8.count == other.utf8.count
            && zip(utf8, other.utf8).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
    }
}
