import NIOConcurrencyHelpers
package import NIOCore

/// Waits for `future` in a way that honours task cancellation: a cancelled task stops waiting
/// at once with `CancellationError` (after `onCancel` ran), whatever the future does later.
package func valueHonouringCancellation<Value: Sendable>(
    of future: EventLoopFuture<Value>,
    onCancel: @escaping @Sendable () -> Void = {}
) async throws -> Value {
    let waiter = OneShotWaiter<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            waiter.install(continuation)
            future.whenComplete { waiter.resume(with: $0) }
        }
    } onCancel: {
        waiter.resume(with: .failure(CancellationError()))
        onCancel()
    }
}

/// A continuation resumed exactly once, by whichever comes first: the result or the
/// cancellation (which may come before the continuation exists).
private final class OneShotWaiter<Value: Sendable>: Sendable {
    private enum State {
        case waiting
        case installed(CheckedContinuation<Value, any Error>)
        case resolved(Result<Value, any Error>)
        case done
    }

    private let state = NIOLockedValueBox(State.waiting)

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLockedValue { state -> Result<Value, any Error>? in
            switch state {
            case .waiting:
                state = .installed(continuation)
                return nil
            case .resolved(let result):
                state = .done
                return result
            case .installed, .done:
                return nil
            }
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<Value, any Error>) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Value, any Error>? in
            switch state {
            case .waiting:
                state = .resolved(result)
                return nil
            case .installed(let continuation):
                state = .done
                return continuation
            case .resolved, .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
