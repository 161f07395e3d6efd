import FayeEventSource
import FayeWebSocket
import Logging
import NIOCore
import Synchronization

/// The application behind the fuzzed connection: an echo for WebSockets, one event (then the
/// stream stays open, or closes when the path asks) for EventSources, and `ok` (or a body larger
/// than a flow-control window when the path asks) for the rest.
///
/// It counts the responder calls in flight, so that the harness can wait for their tasks, and
/// keeps the sockets and streams it opened, for the server-side operations and so that the
/// harness can drop them at the end.
final class Application: Sendable {
    /// A WebSocket or EventSource the responder opened.
    enum Endpoint: Sendable {
        case socket(WebSocket)
        case source(EventSource)
    }

    private struct State {
        var running = 0
        var calls = 0
        var endpoints: [Endpoint] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let socketOptions: WebSocketOptions
    private let sourceOptions: EventSourceOptions

    init(socketOptions: WebSocketOptions, sourceOptions: EventSourceOptions) {
        self.socketOptions = socketOptions
        self.sourceOptions = sourceOptions
    }

    /// How many times the responder was called.
    var calls: Int { state.withLock { $0.calls } }

    /// The responder to give the server.
    var responder: FayeHTTPHandler.Responder {
        { [self] request in
            state.withLock {
                $0.running += 1
                $0.calls += 1
            }
            defer { finished() }
            return respond(to: request)
        }
    }

    private func finished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no responder call is running.
    func idle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isIdle = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if isIdle { continuation.resume() }
        }
    }

    /// The endpoint at `index` (modulo their count), if any was opened.
    func endpoint(_ index: Int) -> Endpoint? {
        state.withLock { state in
            state.endpoints.isEmpty ? nil : state.endpoints[index % state.endpoints.count]
        }
    }

    /// Lets go of every endpoint (once the connection is closed).
    func forgetEndpoints() {
        state.withLock { $0.endpoints = [] }
    }

    private func keep(_ endpoint: Endpoint) {
        state.withLock { $0.endpoints.append(endpoint) }
    }

    private func respond(to request: ServerRequest) -> ServerResponse {
        let target = request.request.target
        if request.isWebSocket {
            return .webSocket(options: socketOptions) { [self] socket in
                keep(.socket(socket))
                socket.onMessage { message in socket.send(message) }
                if target.contains("close") {
                    socket.onOpen { _ = try? socket.close(code: 4000, reason: "closing") }
                }
            }
        }
        if request.isEventSource {
            let lastEventID = request.request.headers["Last-Event-ID"]
            return .eventSource(options: sourceOptions) { [self] source in
                keep(.source(source))
                // An ID taken from the request may hold characters an ID cannot: refused, not sent.
                try? source.send("first\nevent", event: "greeting", id: lastEventID)
                if target.contains("close") { source.close() }
            }
        }
        if target.contains("big") {
            return ServerResponse(headers: ["Content-Type": "application/octet-stream"], body: Self.bigBody)
        }
        return ServerResponse(text: "ok")
    }

    /// Larger than a stream's initial flow-control window (65,535 bytes).
    private static let bigBody = [UInt8](repeating: 0x61, count: 70_000)

    /// What a server-side operation does to an endpoint.
    enum Action: UInt8 {
        case close = 0
        case send = 1
        case ping = 2
        case terminate = 3
    }

    /// Applies `action` to `endpoint` (on the event loop, as an application's own code could).
    static func perform(_ action: Action, on endpoint: Endpoint, binary: Bool) {
        switch (endpoint, action) {
        case (.socket(let socket), .close): _ = try? socket.close(code: .normalClosure, reason: "done")
        case (.socket(let socket), .send):
            if binary {
                socket.send([UInt8](repeating: 0x5A, count: 300))
            } else {
                socket.send("from the server")
            }
        case (.socket(let socket), .ping): socket.ping([1, 2, 3])
        case (.socket(let socket), .terminate): socket.terminate()
        case (.source(let source), .close): source.close()
        case (.source(let source), .send): try? source.send(binary ? "a\r\nb" : "tick", event: "tick", id: "7")
        case (.source(let source), .ping): source.ping()
        case (.source(let source), .terminate): source.terminate()
        }
    }
}

/// The transport under the server's pipeline: takes every write, completes it at the flush
/// and drops the bytes (nothing reads them), so no run accumulates output.
final class DiscardingTransport: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any

    private var unflushed: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let promise { unflushed.append(promise) }
    }

    func flush(context: ChannelHandlerContext) {
        let written = unflushed
        unflushed = []
        for promise in written { promise.succeed() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        let dropped = unflushed
        unflushed = []
        for promise in dropped { promise.fail(ChannelError.ioOnClosedChannel) }
        context.close(mode: mode, promise: promise)
    }
}

/// A log handler that formats nothing and keeps nothing: with it at `info`, the server takes
/// its logging paths (per connection and per stream) at no cost.
struct DroppingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

/// Set once its ``ReleaseToken`` is freed.
final class ReleaseFlag: Sendable {
    private let released = Atomic(false)

    var isSet: Bool { released.load(ordering: .acquiring) }

    fileprivate func set() { released.store(true, ordering: .releasing) }
}

/// Sets its flag when freed: captured by a work item, it tells when the item was let go of.
final class ReleaseToken: Sendable {
    private let flag: ReleaseFlag

    init(_ flag: ReleaseFlag) {
        self.flag = flag
    }

    deinit { flag.set() }
}
