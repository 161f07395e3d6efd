public import WebSocketDriver

/// Records what a driver writes and emits, so that two runs over the same bytes (one read, or
/// many chunks) can be compared.
public final class DriverRecorder {
    /// Every byte written, in order.
    public var written: [UInt8] = []
    /// Every event, described.
    public var events: [String] = []
    /// Whether `onClose` fired more than once (a bug in itself).
    public private(set) var closeCount = 0
    /// Bytes written after `onClose` (a bug in itself).
    public private(set) var writtenAfterClose = 0

    /// Bytes to record as `@ACCEPT@` wherever a payload carries them: a client run's
    /// `Sec-WebSocket-Accept`, which depends on its random key, so that two runs compare equal.
    /// When set, errors and closes are recorded by close code only (their messages may quote a
    /// piece of the value).
    public var redaction: [UInt8] = []

    /// Creates an empty recorder.
    public init() {}

    private func describe(_ payload: [UInt8]) -> String {
        guard !redaction.isEmpty else { return "\(payload)" }
        return "\(redacting(payload, redaction))"
    }

    /// The output sink to give the driver.
    public var output: Driver.Output {
        { [unowned self] bytes in
            if self.closeCount > 0 { self.writtenAfterClose += bytes.count }
            self.written.append(contentsOf: bytes)
        }
    }

    /// Sets every callback of `driver` to record into this recorder. `onConnect` also runs
    /// `connect` (to call `start()`, for example).
    public func attach(to driver: Driver, onConnect connect: ((IncomingRequest) -> Void)? = nil) {
        driver.onConnect = { [unowned self] request in
            self.events.append("connect \(request.method) \(request.target) \(request.headers.count)")
            connect?(request)
        }
        driver.onOpen = { [unowned self] in self.events.append("open") }
        driver.onMessage = { [unowned self] message in
            switch message {
            case .text(let text): self.events.append("text \(self.describe(Array(text.utf8)))")
            case .binary(let bytes): self.events.append("binary \(self.describe(bytes))")
            }
        }
        // With a redaction, error and close messages are left out: an excerpt in a message may
        // keep a few characters of the run-specific value, which no redaction can recognize.
        driver.onError = { [unowned self] error in
            self.events.append(
                self.redaction.isEmpty ? "error \(error)" : "error \(error.closeCode.rawValue)")
        }
        driver.onClose = { [unowned self] event in
            self.closeCount += 1
            self.events.append(
                self.redaction.isEmpty
                    ? "close \(event.code.rawValue) \(event.reason)" : "close \(event.code.rawValue)")
        }
        driver.onPing = { [unowned self] payload in self.events.append("ping \(self.describe(payload))") }
        driver.onPong = { [unowned self] payload in self.events.append("pong \(self.describe(payload))") }
    }

    /// Checks the invariants every run must keep: at most one close, nothing written after it.
    public func checkInvariants() {
        fuzzCheck(closeCount <= 1, "onClose fired \(closeCount) times")
        fuzzCheck(writtenAfterClose == 0, "\(writtenAfterClose) bytes written after onClose")
    }
}
