import FayeWebSocket
import NIOConcurrencyHelpers
import NIOCore
import WebSocketDriver

/// Why a check failed, in one line.
struct CheckFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// One client connection for one check, bounded by the check's deadline: when the deadline
/// passes the connection is dropped, so every wait (open, send, next message, close) ends.
struct Session {
    /// What the connection's listeners saw.
    struct Observed: Sendable {
        var error: String?
        var timedOut = false
        var closeEvent: CloseEvent?
    }

    let socket: WebSocket
    private var iterator: WebSocketMessages.AsyncIterator
    private let watchdog: Scheduled<Void>
    private let observed: NIOLockedValueBox<Observed>

    /// Connects and waits for the open event.
    /// - Throws: ``CheckFailure`` when the connection did not open before the deadline.
    static func open(
        url: String,
        options: WebSocketOptions,
        clientOptions: WebSocketClientOptions,
        timeout: Duration
    ) async throws(CheckFailure) -> Session {
        let socket = WebSocket(url: url, options: options, clientOptions: clientOptions)
        let observed = NIOLockedValueBox(Observed())
        socket.onError { error in observed.withLockedValue { $0.error = $0.error ?? error.message } }
        socket.onClose { event in observed.withLockedValue { $0.closeEvent = event } }
        // Made before the open event can fire, so that no message is missed.
        let messages = socket.messages
        let watchdog = socket.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            observed.withLockedValue { $0.timedOut = true }
            socket.terminate()
        }
        let session = Session(
            socket: socket, iterator: messages.makeAsyncIterator(), watchdog: watchdog, observed: observed)
        guard await OpenWaiter.waitForOpen(socket) else {
            watchdog.cancel()
            throw CheckFailure("connection to \(url) did not open: \(session.problem)")
        }
        return session
    }

    /// Why the connection went away: the error event, a timeout, or the close event.
    var problem: String {
        let seen = observed.withLockedValue { $0 }
        if seen.timedOut { return "timed out" }
        if let error = seen.error { return error }
        if let event = seen.closeEvent { return "closed with \(event.code.rawValue) \(event.reason)" }
        return "closed"
    }

    /// The error event's message, if one fired.
    var errorMessage: String? { observed.withLockedValue { $0.error } }

    /// Sends a message and waits until it was written.
    func send(_ message: WebSocketMessage) async throws(CheckFailure) {
        do {
            try await socket.send(message)
        } catch {
            throw CheckFailure("send failed: \(error) (\(problem))")
        }
    }

    /// The next message.
    /// - Throws: ``CheckFailure`` when the connection closed (or timed out) first.
    mutating func next() async throws(CheckFailure) -> WebSocketMessage {
        guard let message = try? await iterator.next() else {
            throw CheckFailure("no message: \(problem)")
        }
        return message
    }

    /// Sends a ping and waits for its pong.
    func ping(_ payload: [UInt8]) async throws(CheckFailure) {
        let received = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = Once(continuation)
            guard socket.ping(payload, onPong: { once.resume(true) }) else {
                once.resume(false)
                return
            }
            socket.onClose { _ in once.resume(false) }
        }
        guard received else { throw CheckFailure("no pong: \(problem)") }
    }

    /// Starts the closing handshake and waits for the close event.
    func close(code: UInt16, reason: String) async throws(CheckFailure) -> CloseEvent {
        do {
            try socket.close(code: CloseCode(code), reason: reason)
            return await closed()
        } catch {
            throw CheckFailure("close refused: \(error)")
        }
    }

    /// Waits for the close event (the peer closes).
    func closed() async -> CloseEvent {
        _ = try? await socket.closed()
        return socket.closeEvent ?? CloseEvent(code: .abnormalClosure)
    }

    /// Ends the session: cancels the watchdog and drops the connection if still up.
    func finish() async {
        watchdog.cancel()
        if socket.readyState != .closed {
            socket.terminate()
            _ = try? await socket.closed()
        }
    }
}

/// Resumes a continuation at most once.
final class Once<Value: Sendable>: Sendable {
    private let continuation: NIOLockedValueBox<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = NIOLockedValueBox(continuation)
    }

    func resume(_ value: Value) {
        let waiting = continuation.withLockedValue { stored -> CheckedContinuation<Value, Never>? in
            defer { stored = nil }
            return stored
        }
        waiting?.resume(returning: value)
    }
}

/// Waits for the open event, or the close event when the connection never opens.
enum OpenWaiter {
    static func waitForOpen(_ socket: WebSocket) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = Once(continuation)
            socket.onOpen { once.resume(true) }
            socket.onClose { _ in once.resume(false) }
        }
    }
}
