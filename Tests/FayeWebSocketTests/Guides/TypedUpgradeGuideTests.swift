import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import NIOCore
import NIOPosix
import Testing

/// The typed-upgrade example of Docs/Running-Your-Socket-Application.md, on a real loopback
/// server.
@Suite("Guide: our sockets through NIO's typed upgrade machinery")
struct TypedUpgradeGuideTests {
    @Test("echo on /echo, plain HTTP elsewhere, 426 for a wrong version, 404 for an upgrade elsewhere")
    func typedServer() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let results = Inbox<String>()
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configureTypedUpgrade(on: channel, options: WebSocketOptions())
                }
            }
        let port = try #require(server.channel.localAddress?.port)
        let accepting = Task {
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    connection.whenSuccess { result in
                        switch result {
                        case .webSocket: results.append("webSocket")
                        case .http: results.append("http")
                        case .notUpgraded: results.append("notUpgraded")
                        }
                    }
                }
            }
        }
        defer { accepting.cancel() }

        try await WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/echo") { socket in
            try await socket.send(.text("typed"))
            var messages = socket.messages.makeAsyncIterator()
            #expect(try await messages.next() == .text("typed"))
        }
        #expect(try await results.next(timeout: .seconds(5), "the socket's result") == "webSocket")

        let plain = try await DemoServerChecks.rawRequest(port: port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(plain.status == 200 && plain.body == "Hello over plain HTTP\n")
        #expect(try await results.next(timeout: .seconds(5), "the plain result") == "http")

        let upgrade = { (path: String, version: String) in
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n\r\n"
        }
        let refused = try await DemoServerChecks.rawRequest(port: port, upgrade("/echo", "8"))
        #expect(refused.status == 426)
        #expect(refused.header("Sec-WebSocket-Version") == "13")
        #expect(refused.body == #"Unsupported WebSocket version: "8"; this server speaks 13"#)
        let declined = try await DemoServerChecks.rawRequest(port: port, upgrade("/elsewhere", "13"))
        #expect(declined.status == 404)
        #expect(try await results.next(timeout: .seconds(5), "a result") == "notUpgraded")
        #expect(try await results.next(timeout: .seconds(5), "a result") == "notUpgraded")
        try await server.channel.close()
    }
}
