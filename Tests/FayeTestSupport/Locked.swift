import Foundation

/// A value behind a lock, shareable between event loops, threads and the test task.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value now.
    public var current: Value { withLock { $0 } }
}

extension Locked where Value: RangeReplaceableCollection {
    public func append(_ element: Value.Element) {
        withLock { $0.append(element) }
    }
}

/// A queue that event loops fill and a test drains with ``next(timeout:_:matching:)``.
public final class Inbox<Item: Sendable>: @unchecked Sendable {
    private struct Waiter {
        var id: UInt64
        var matches: @Sendable (Item) -> Bool
        var continuation: CheckedContinuation<Item?, Never>
    }

    private let lock = NSLock()
    private var items: [Item] = []
    private var waiters: [Waiter] = []
    private var nextWaiterID: UInt64 = 0

    public init() {}

    public func append(_ item: Item) {
        lock.lock()
        if let index = waiters.firstIndex(where: { $0.matches(item) }) {
            let waiter = waiters.remove(at: index)
            lock.unlock()
            waiter.continuation.resume(returning: item)
        } else {
            items.append(item)
            lock.unlock()
        }
    }

    /// Everything received and not yet taken.
    public var pending: [Item] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    /// Takes everything received and not yet taken.
    public func takeAll() -> [Item] {
        lock.lock()
        defer {
            items = []
            lock.unlock()
        }
        return items
    }

    /// Takes the first item (the first matching one, when `matching` is given), waiting for it.
    /// - Throws: ``TestTimeout`` when none comes in time.
    public func next(
        timeout: Duration = .seconds(5),
        _ what: String = "an event",
        matching: @escaping @Sendable (Item) -> Bool = { _ in true }
    ) async throws -> Item {
        let id = newWaiterID()
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.expire(id)
        }
        let item = await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
            lock.lock()
            if let index = items.firstIndex(where: matching) {
                let item = items.remove(at: index)
                lock.unlock()
                continuation.resume(returning: item)
            } else {
                waiters.append(Waiter(id: id, matches: matching, continuation: continuation))
                lock.unlock()
            }
        }
        timer.cancel()
        guard let item else { throw TestTimeout(what: what, after: timeout) }
        return item
    }

    private func newWaiterID() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        nextWaiterID += 1
        return nextWaiterID
    }

    private func expire(_ id: UInt64) {
        lock.lock()
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            lock.unlock()
            return
        }
        let waiter = waiters.remove(at: index)
        lock.unlock()
        waiter.continuation.resume(returning: nil)
    }
}
