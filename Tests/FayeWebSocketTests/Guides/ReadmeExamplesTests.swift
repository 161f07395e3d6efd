import FayeTestSupport
import FayeWebSocket
import NIOPosix
import Testing
import WebSocketDriver

/// Runs the server and client examples of README.md against each other on loopback.
@Suite("README: the server and client examples")
struct ReadmeExamplesTests {
    @Test("the client's message comes back from the server; plain HTTP gets the greeting")
    func echo() async throws {
        let server = try await startEchoServer(port: 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let port = try #require(server.localAddress?.port)
            let reply = try await withTimeout("the echo", timeout: .seconds(10)) {
                try await echoOnce(url: "ws://127.0.0.1:\(port)/", text: "hello")
            }
            #expect(reply == .text("hello"))
            let http = try await TestClient.connectRaw(group: group, port: port)
            try await http.writeRaw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let response = try await http.readResponse()
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "Hello over plain HTTP\n")
            await http.disconnect()
        } catch {
            try? await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        try await server.shutdown()
        try await group.shutdownGracefully()
    }
}
