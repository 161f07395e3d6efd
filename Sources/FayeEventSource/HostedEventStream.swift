import NIOConcurrencyHelpers
public import NIOCore
import ServiceLifecycle

/// An ``EventSource`` whose response a host server writes (Vapor, Hummingbird, or your own):
/// the host answers ``status`` with ``headers`` and streams the body by running
/// ``run(writingWith:)``.
///
/// ```swift
/// let stream = HostedEventStream(request: request, eventLoop: eventLoop) { source in
///     source.onOpen { try? source.send("hello") }
/// }
/// // the host's streaming body:
/// await stream.run { buffer in try await bodyWriter.write(buffer) }
/// ```
///
/// Backpressure comes from the host's writer: while a write is under way, events queue on the
/// stream, and once more than ``highWaterMark`` bytes wait, `async` sends wait too (the
/// synchronous `send(_:event:id:)` keeps queueing, counted in
/// ``EventSource/bufferedAmount``, as on a taken-over connection). A client that goes away makes
/// the host's write throw: the stream closes (``EventSourceCloseEvent/Reason/connectionLost``).
/// An idle stream learns it only at its next write: set ``EventSourceOptions/pingInterval`` to
/// notice within that time.
public final class HostedEventStream: Sendable {
    /// Bytes queued for the host's writer beyond which `async` sends wait. 64 KiB.
    public static let highWaterMark = 64 * 1024

    /// The stream, with its request, `lastEventId` and listeners.
    public let source: EventSource
    /// The response status: 200.
    public var status: Int { 200 }
    /// The response headers: `Content-Type: text/event-stream`, `Cache-Control`, then the
    /// valid ones of ``EventSourceOptions/headers``. The host frames the body (chunked on
    /// HTTP/1.1), so there is no `Connection: close`.
    public let headers: HeaderFields

    private let setup: @Sendable (EventSource) -> Void
    /// Set by the first ``run(writingWith:)``: a stream has one body.
    private let started = NIOLockedValueBox(false)

    /// Creates the stream for a request; nothing is written until ``run(writingWith:)``.
    /// - Parameters:
    ///   - request: the EventSource request (its `Last-Event-ID` becomes
    ///     ``EventSource/lastEventId``).
    ///   - options: custom headers, `retry`, ping interval, close timeout.
    ///   - eventLoop: the loop the stream's state lives on (the connection's, when the host
    ///     tells it).
    ///   - setup: runs on `eventLoop` before the first byte, as for
    ///     `ServerResponse.eventSource(options:_:)`.
    public init(
        request: ServerRequest,
        options: EventSourceOptions = EventSourceOptions(),
        eventLoop: any EventLoop,
        setup: @escaping @Sendable (EventSource) -> Void
    ) {
        let source = EventSource(
            url: request.url(plain: "http", secure: "https"),
            request: request.request,
            remoteAddress: request.remoteAddress,
            options: options,
            eventLoop: eventLoop
        )
        self.source = source
        self.headers = options.responseHeaders(hosted: true)
        self.setup = setup
    }

    /// Runs the stream: `setup`, the open event, then every byte through `write`, until the
    /// stream closes (returns once the last byte is written and the stream is closed) or
    /// `write` throws (the client is gone: the stream closes). Cancelling the task closes the
    /// stream at once; a graceful shutdown (swift-service-lifecycle) closes it as
    /// ``EventSource/close()`` does.
    ///
    /// Call it from the host's body-writing task. A stream has one body: a second call returns
    /// at once and writes nothing.
    public func run(writingWith write: (ByteBuffer) async throws -> Void) async {
        let first = started.withLockedValue { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let eventLoop = source.eventLoop
        let setup = self.setup
        let source = self.source
        let opened = eventLoop.submit {
            let transport = HostBodyTransport(eventLoop: eventLoop)
            let handler = EventSourceHandler(source: source, transport: transport)
            transport.handler = handler
            source.attach(handler)
            setup(source)
            handler.start()
            return NIOLoopBound(transport, eventLoop: eventLoop)
        }
        guard let transport = try? await opened.get() else { return }
        // A graceful shutdown of the service group the host runs in (Hummingbird's, say) ends
        // the stream as close() does: what was sent is written first.
        await withGracefulShutdownHandler {
            await pump(transport, writingWith: write)
        } onGracefulShutdown: {
            source.close()
        }
    }

    private func pump(
        _ transport: NIOLoopBound<HostBodyTransport>,
        writingWith write: (ByteBuffer) async throws -> Void
    ) async {
        let eventLoop = source.eventLoop
        await withTaskCancellationHandler {
            while true {
                let next = eventLoop.flatSubmit { transport.value.next() }
                guard let batch = try? await next.get() else { break }
                do {
                    try await write(batch)
                } catch {
                    // Closed before `run` returns.
                    _ = try? await eventLoop.submit { transport.value.failed(error) }.get()
                    return
                }
                eventLoop.execute { transport.value.written() }
            }
        } onCancel: {
            eventLoop.execute { transport.value.close() }
        }
    }
}

/// The host's body writer as an event stream's transport: the stream writes into a queue, the
/// body-writing task takes what is queued one batch at a time.
final class HostBodyTransport: EventStreamTransport {
    private let eventLoop: any EventLoop
    weak var handler: EventSourceHandler?
    private var queued = ByteBuffer()
    private var queuedCompletions: [(Result<Void, any Error>) -> Void] = []
    /// The batch the writer is writing, and its completions.
    private var inFlight: (bytes: Int, completions: [(Result<Void, any Error>) -> Void])?
    private var waiter: EventLoopPromise<ByteBuffer?>?
    private var ending = false
    private var closed = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var isActive: Bool { !closed }
    var isWritable: Bool { queued.readableBytes + (inFlight?.bytes ?? 0) < HostedEventStream.highWaterMark }

    func write(_ bytes: [UInt8], completion: @escaping (Result<Void, any Error>) -> Void) {
        guard !closed else {
            completion(.failure(ChannelError.ioOnClosedChannel))
            return
        }
        queued.writeBytes(bytes)
        queuedCompletions.append(completion)
    }

    func flush() {
        if let waiter, let batch = takeBatch() {
            self.waiter = nil
            waiter.succeed(batch)
        }
    }

    func closeAfterWrites() {
        ending = true
        if inFlight == nil, queued.readableBytes == 0 { finish(nil) }
    }

    func close() {
        finish(nil)
    }

    /// The next batch for the writer, once there is one; `nil` when the stream ended.
    func next() -> EventLoopFuture<ByteBuffer?> {
        if closed { return eventLoop.makeSucceededFuture(nil) }
        if let batch = takeBatch() { return eventLoop.makeSucceededFuture(batch) }
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        waiter = promise
        return promise.futureResult
    }

    /// The writer wrote its batch.
    func written() {
        guard let batch = inFlight else { return }
        inFlight = nil
        for completion in batch.completions { completion(.success(())) }
        if ending, queued.readableBytes == 0 {
            finish(nil)
        } else {
            handler?.writabilityChanged()
        }
    }

    /// The writer failed: the client is gone.
    func failed(_ error: any Error) {
        finish(error)
    }

    private func takeBatch() -> ByteBuffer? {
        guard inFlight == nil, queued.readableBytes > 0 else { return nil }
        let batch = queued
        queued = ByteBuffer()
        inFlight = (batch.readableBytes, queuedCompletions)
        queuedCompletions = []
        return batch
    }

    /// Ends the transport: what is not written fails, the writer stops, the stream closes.
    private func finish(_ error: (any Error)?) {
        guard !closed else { return }
        closed = true
        let failedCompletions = (inFlight?.completions ?? []) + queuedCompletions
        inFlight = nil
        queuedCompletions = []
        queued = ByteBuffer()
        for completion in failedCompletions { completion(.failure(error ?? ChannelError.ioOnClosedChannel)) }
        // The stream is CLOSED (and its close event dispatched) before the writer learns the
        // end: `run` returns after the close.
        handler?.transportClosed(error)
        waiter?.succeed(nil)
        waiter = nil
    }
}
