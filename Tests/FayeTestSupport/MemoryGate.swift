public import Testing

/// Keeps tests that allocate a lot away from tests that measure the whole process's memory.
///
/// `swift test` runs every test target in one process, with default parallelism; a test that
/// checks the process's peak resident size (a decompression bomb's, say) would count the
/// megabytes another test allocates at the same time. Tests and suites that allocate tens of
/// MiB carry `.allocatesMemory` (shared: they run beside each other); a test that measures
/// carries `.measuresMemory` (exclusive: nothing marked runs beside it). Mark suites with
/// `.allocatesMemory` and single tests with `.measuresMemory`, never both in one nesting: a
/// share held by a suite and asked for again inside it could wait behind a measurement.
public struct MemoryGate: TestTrait, SuiteTrait, TestScoping {
    let exclusive: Bool

    /// Applied once around a suite, not around each of its tests: a suite holds its share for
    /// as long as it runs.
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        if exclusive {
            await MemoryGateLock.shared.acquireExclusive()
        } else {
            await MemoryGateLock.shared.acquireShared()
        }
        do {
            try await function()
        } catch {
            await MemoryGateLock.shared.release(exclusive: exclusive)
            throw error
        }
        await MemoryGateLock.shared.release(exclusive: exclusive)
    }
}

extension Trait where Self == MemoryGate {
    /// The test or suite allocates tens of MiB: it does not run beside a memory measurement.
    public static var allocatesMemory: Self { MemoryGate(exclusive: false) }
    /// The test measures the whole process's memory: nothing that allocates a lot runs beside it.
    public static var measuresMemory: Self { MemoryGate(exclusive: true) }
}

/// A readers-writer lock for tasks, writers first: once a measurement waits, no new share is
/// granted until it has run.
actor MemoryGateLock {
    static let shared = MemoryGateLock()

    private var readers = 0
    private var writing = false
    private var waitingWriters: [CheckedContinuation<Void, Never>] = []
    private var waitingReaders: [CheckedContinuation<Void, Never>] = []

    func acquireShared() async {
        if !writing && waitingWriters.isEmpty {
            readers += 1
            return
        }
        await withCheckedContinuation { waitingReaders.append($0) }
    }

    func acquireExclusive() async {
        if !writing && readers == 0 {
            writing = true
            return
        }
        await withCheckedContinuation { waitingWriters.append($0) }
    }

    func release(exclusive: Bool) {
        if exclusive { writing = false } else { readers -= 1 }
        guard !writing, readers == 0 || waitingWriters.isEmpty else { return }
        if readers == 0, !waitingWriters.isEmpty {
            writing = true
            waitingWriters.removeFirst().resume()
        } else if waitingWriters.isEmpty {
            readers += waitingReaders.count
            for reader in waitingReaders { reader.resume() }
            waitingReaders = []
        }
    }
}
