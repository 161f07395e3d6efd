import ArgumentParser
import FayeWebSocket
import NIOConcurrencyHelpers
import PermessageDeflate
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-autobahn-client`: drives the Autobahn testsuite's fuzzing server (DESIGN §3).
///
/// Asks for the case count, runs each case (or `--cases N-M`) as an echo client offering
/// permessage-deflate, then asks the server to update the reports for the agent. Over `wss:`
/// the server's certificate is verified, against `--ca-file` when given.
@main
struct FayeAutobahnClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-autobahn-client",
        abstract: "Runs the Autobahn testsuite's cases against the FayeWebSocket client."
    )

    @Option(help: "The fuzzing server's base URL.")
    var url = "ws://127.0.0.1:9001"

    @Option(help: "The agent name the reports are filed under.")
    var agent = "faye-swift"

    @Option(help: "A 1-based inclusive range of cases to run, N-M (default: all).")
    var cases: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of the CA certificates to trust instead of the system's (wss:).")
    var caFile: String?

    /// The longest a single case may take before the connection is dropped; the suite has its
    /// own, shorter timeouts, so this only guards against a hang.
    static let caseTimeout: Duration = .seconds(300)

    func validate() throws {
        if let cases, CaseRange.parse(cases) == nil {
            throw ValidationError("--cases must be N-M with 1 <= N <= M, got '\(cases)'")
        }
        guard url.lowercased().hasPrefix("ws://") || url.lowercased().hasPrefix("wss://") else {
            throw ValidationError("--url must be a ws:// or wss:// URL")
        }
    }

    func run() async throws {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let agentParameter = Self.percentEncoded(agent)
        // Verification stays on: --ca-file only replaces the system's trust store.
        var tls = TLSClientConfiguration()
        if let caFile { tls.rootCertificateFiles = [caFile] }
        var clientOptions = WebSocketClientOptions()
        clientOptions.tls = tls

        let count: Int
        switch await Self.caseCount(base: base, clientOptions: clientOptions) {
        case .success(let value):
            count = value
        case .failure(let failure):
            Self.standardError("faye-autobahn-client: cannot reach the fuzzing server at \(url): \(failure.message)\n")
            throw ExitCode(1)
        }
        var numbers: [Int] = count > 0 ? Array(1...count) : []
        if let cases, let requested = CaseRange.parse(cases) {
            numbers = numbers.filter { requested.contains($0) }
            if numbers.isEmpty {
                Self.standardError("faye-autobahn-client: the server has \(count) cases; none is in \(cases)\n")
            }
        }
        for number in numbers {
            let caseURL = "\(base)/runCase?case=\(number)&agent=\(agentParameter)"
            if let problem = await Self.runCase(url: caseURL, clientOptions: clientOptions) {
                Self.standardError("faye-autobahn-client: case \(number): \(problem)\n")
            }
        }
        let update = WebSocket(url: "\(base)/updateReports?agent=\(agentParameter)", clientOptions: clientOptions)
        do {
            _ = try await update.closed()
        } catch {
            Self.standardError("faye-autobahn-client: could not update the reports: \(error)\n")
            throw ExitCode(1)
        }
        Self.standardError(
            "faye-autobahn-client: ran \(numbers.count) of \(count) cases; reports updated for \(agent)\n"
        )
    }

    struct Failure: Error {
        var message: String
    }

    /// `GET /getCaseCount`: a WebSocket whose single text message is the count.
    static func caseCount(base: String, clientOptions: WebSocketClientOptions) async -> Result<Int, Failure> {
        do {
            return try await WebSocket.withConnection(to: "\(base)/getCaseCount", clientOptions: clientOptions) {
                socket in
                var first: WebSocketMessage?
                for try await message in socket.messages {
                    first = message
                    break
                }
                if case .text(let text) = first, let count = Int(text) { return .success(count) }
                return .failure(Failure(message: "no case count received (\(socket.readyState))"))
            }
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }

    /// Runs one case: echoes every message until the server closes. Returns a message only when
    /// the case ran out of time (an error event is what many cases expect, and is not reported).
    ///
    /// The echo is sent from the message listener, on the event loop, as the message is parsed:
    /// when a bad frame follows a message in the same read, the echo is queued before the close
    /// that the bad frame causes, as the suite's strict behaviour wants. (Echoing from the
    /// `messages` sequence would reach the event loop after that close, and the suite rates
    /// those cases NON-STRICT.)
    static func runCase(url: String, clientOptions: WebSocketClientOptions) async -> String? {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        options.maxLength = 64 << 20
        let socket = WebSocket(url: url, options: options, clientOptions: clientOptions)
        socket.onMessage { message in socket.send(message) }
        let timedOut = NIOLockedValueBox(false)
        let watchdog = Task {
            try await Task.sleep(for: caseTimeout)
            timedOut.withLockedValue { $0 = true }
            socket.terminate()
        }
        _ = try? await socket.closed()
        watchdog.cancel()
        return timedOut.withLockedValue({ $0 }) ? "timed out after \(caseTimeout); connection dropped" : nil
    }

    static func percentEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var result = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = write(2, bytes.baseAddress, bytes.count)
        }
    }
}

/// `N-M`, 1-based and inclusive.
enum CaseRange {
    static func parse(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low >= 1, low <= high else {
            return nil
        }
        return low...high
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
