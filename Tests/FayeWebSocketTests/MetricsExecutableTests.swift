import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import Testing

/// `faye-server --metrics-port`: the library's swift-metrics in the Prometheus text format, and
/// `GET /healthz`.
@Suite("faye-server: metrics and health check", .allocatesMemory)
struct MetricsExecutableTests {
    @Test("after an echo and a refused handshake, /metrics counts them; /healthz answers ok")
    func prometheusScrape() async throws {
        let server = try ChildProcess(try packageExecutable("faye-server"), ["--port", "0", "--metrics-port", "0"])
        defer { server.stop() }
        let ports = Locked<(web: Int, metrics: Int)?>(nil)
        try await eventually("faye-server to listen", timeout: .seconds(10)) {
            let text = server.errorText
            guard let web = Self.number(in: text, after: "listening on ws://127.0.0.1:"),
                let metrics = Self.number(in: text, after: "metrics on http://127.0.0.1:")
            else { return !server.isRunning }
            ports.withLock { $0 = (web, metrics) }
            return true
        }
        guard let (port, metricsPort) = ports.current else { throw SetupError("faye-server: \(server.errorText)") }

        try await WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/") { socket in
            var messages = socket.messages.makeAsyncIterator()
            for _ in 0..<3 {
                try await socket.send(.text("abc"))
                _ = try await messages.next()
            }
        }
        let refused = try await DemoServerChecks.rawRequest(
            port: port,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        #expect(refused.status == 426)
        let health = try await DemoServerChecks.rawRequest(port: port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(health.status == 200)
        #expect(health.body == "ok\n")

        let expected = [
            #"faye_websocket_handshakes_total{result="accepted"} 1"#,
            #"faye_websocket_handshakes_total{result="refused",reason="version"} 1"#,
            #"faye_websocket_messages_total{direction="in"} 3"#,
            #"faye_websocket_messages_total{direction="out"} 3"#,
            #"faye_websocket_payload_bytes_total{direction="in"} 9"#,
            #"faye_websocket_closes_total{code="1000"} 1"#,
            #"faye_connections_open{kind="websocket"} 0"#,
        ]
        let scraped = Locked("")
        try await eventually("the counters in /metrics", timeout: .seconds(5)) {
            guard
                let response = try? await DemoServerChecks.rawRequest(
                    port: metricsPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            else { return false }
            scraped.withLock { $0 = response.body }
            let lines = response.body.split(separator: "\n")
            return expected.allSatisfy { line in lines.contains { $0.hasPrefix(line) } }
        }
        #expect(scraped.current.contains("# TYPE faye_connections_open gauge"))
    }

    /// The number after `marker` on a complete line of `text`.
    static func number(in text: String, after marker: String) -> Int? {
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: marker) else { continue }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }
}
