import FayeWebSocket
import WebSocketDriver

/// The checks our client runs against a peer server (see scripts/interop/ for the servers).
///
/// The server echoes on every path, and on `/fragmented`, `/ping` and `/invalid-utf8` first does
/// what the path says (see ``Payloads``). Each check opens its own connection and is bounded by
/// its own timeout.
struct Battery {
    /// The server, `ws[s]://host:port`.
    let baseURL: String
    /// The same server behind the counting relay of the orchestrator.
    let relayURL: String?
    let options: WebSocketOptions
    let clientOptions: WebSocketClientOptions
    /// Substrings the `Sec-WebSocket-Extensions` response must contain.
    let expectedExtensionParameters: [String]

    /// One check: a name, a timeout, and a body that returns a detail line and numbers.
    struct Check {
        let name: String
        let timeout: Duration
        let body: (Battery, Duration) async throws(CheckFailure) -> (String, [String: Int])
    }

    /// Runs the checks whose name starts with one of `prefixes` (all when empty); `true` when
    /// every one passed.
    func run(prefixes: [String]) async -> Bool {
        var allPassed = true
        for check in Self.checks
        where prefixes.isEmpty || prefixes.contains(where: { check.name.hasPrefix($0) }) {
            let started = ContinuousClock.now
            var ok = true
            var detail: String
            var numbers: [String: Int] = [:]
            do {
                (detail, numbers) = try await check.body(self, check.timeout)
            } catch {
                ok = false
                detail = error.message
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            Report.line(check: check.name, ok: ok, detail: detail, seconds: seconds, numbers: numbers)
            allPassed = allPassed && ok
        }
        return allPassed
    }

    /// Opens `path` on the server (or the relay), runs `body`, then ends the session.
    func withSession<Result>(
        _ path: String,
        timeout: Duration,
        protocols: [String] = [],
        throughRelay: Bool = false,
        _ body: (inout Session) async throws(CheckFailure) -> Result
    ) async throws(CheckFailure) -> Result {
        var base = baseURL
        if throughRelay {
            guard let relayURL else { throw CheckFailure("no --relay-url given: cannot count wire bytes") }
            base = relayURL
        }
        var options = self.options
        options.protocols = protocols
        var session = try await Session.open(
            url: base + path, options: options, clientOptions: clientOptions, timeout: timeout)
        do {
            let result = try await body(&session)
            await session.finish()
            return result
        } catch {
            await session.finish()
            throw error
        }
    }

    /// Sends `message` and expects it back unchanged.
    static func expectEcho(_ message: WebSocketMessage, on session: inout Session) async throws(CheckFailure) {
        try await session.send(message)
        let received = try await session.next()
        guard received == message else { throw CheckFailure("echo differs: \(Self.compare(message, received))") }
    }

    /// Closes with 1000 and expects the peer's close frame to carry 1000 back.
    static func expectCleanClose(_ session: inout Session) async throws(CheckFailure) {
        let event = try await session.close(code: 1000, reason: "")
        guard event.code == .normalClosure else {
            throw CheckFailure("closing: expected 1000 back, got \(event.code.rawValue) (\(session.problem))")
        }
    }

    /// The index of the first differing byte (the shorter length when one is a prefix).
    static func firstDifference(_ x: [UInt8], _ y: [UInt8]) -> Int {
        for index in 0..<min(x.count, y.count) where x[index] != y[index] { return index }
        return min(x.count, y.count)
    }

    /// Describes how two messages differ.
    static func compare(_ sent: WebSocketMessage, _ received: WebSocketMessage) -> String {
        switch (sent, received) {
        case (.text(let a), .text(let b)):
            let x = Array(a.utf8)
            let y = Array(b.utf8)
            let first = firstDifference(x, y)
            return "text of \(x.count) bytes came back as \(y.count) bytes, first difference at byte \(first)"
        case (.binary(let x), .binary(let y)):
            let first = firstDifference(x, y)
            return "binary of \(x.count) bytes came back as \(y.count) bytes, first difference at byte \(first)"
        case (.text, .binary(let y)):
            return "text came back as binary (\(y.count) bytes)"
        case (.binary, .text(let b)):
            return "binary came back as text (\(b.utf8.count) bytes)"
        }
    }
}
