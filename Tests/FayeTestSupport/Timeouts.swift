import Foundation

/// A wait in a test ran out of time.
public struct TestTimeout: Error, CustomStringConvertible {
    public var what: String
    public var after: Duration

    public init(what: String, after: Duration) {
        self.what = what
        self.after = after
    }

    public var description: String { "timed out after \(after) waiting for \(what)" }
}

/// Runs `body`, failing with ``TestTimeout`` if it has not finished within `timeout`. The body
/// need not react to cancellation (a NIO future, for example): it is abandoned, not awaited.
public func withTimeout<Value: Sendable>(
    _ what: String,
    timeout: Duration = .seconds(5),
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let inbox = Inbox<Result<Value, any Error>>()
    let work = Task {
        do {
            inbox.append(.success(try await body()))
        } catch {
            inbox.append(.failure(error))
        }
    }
    do {
        return try await inbox.next(timeout: timeout, what).get()
    } catch let error as TestTimeout {
        work.cancel()
        throw error
    }
}

/// Waits until `condition` holds, checking every 5 ms. The timeout only bounds a wait for
/// something that must happen; it is never what a test asserts.
/// - Throws: ``TestTimeout`` when it does not within `timeout`.
public func eventually(
    _ what: String,
    timeout: Duration = .seconds(10),
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: what, after: timeout) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Waits until `body` returns a value, checking every 5 ms.
/// - Throws: ``TestTimeout`` when it does not within `timeout`.
public func eventuallyValue<Value: Sendable>(
    _ what: String,
    timeout: Duration = .seconds(10),
    _ body: @Sendable () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await body() { return value }
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: what, after: timeout) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs blocking work (a `poll`, a `waitpid`) on a thread of its own, never on Swift's
/// cooperative pool: a test blocking one of its few threads starves every other test.
public func onDedicatedThread<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
