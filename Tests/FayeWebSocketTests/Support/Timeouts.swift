/// A wait in a test ran out of time.
struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var after: Duration

    var description: String { "timed out after \(after) waiting for \(what)" }
}

/// Runs `body`, failing with ``TestTimeout`` if it has not finished within `timeout`. The body
/// need not react to cancellation (a NIO future, for example): it is abandoned, not awaited.
func withTimeout<Value: Sendable>(
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

/// Waits until `condition` holds, checking every 5 ms.
/// - Throws: ``TestTimeout`` when it does not within `timeout`.
func eventually(
    _ what: String,
    timeout: Duration = .seconds(5),
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(what: what, after: timeout) }
        try await Task.sleep(for: .milliseconds(5))
    }
}
