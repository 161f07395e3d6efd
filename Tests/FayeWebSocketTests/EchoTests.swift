import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// Messages through the embedded server and back, over real loopback connections.
@Suite("Echo over loopback", .allocatesMemory)
struct EchoTests {
    static let sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20]

    @Test("binary messages of every length class are echoed byte for byte", arguments: sizes)
    func binaryEcho(size: Int) async throws {
        var options = WebSocketOptions()
        options.maxLength = 32 << 20
        var clientOptions = DriverOptions()
        clientOptions.maxLength = 32 << 20
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client(options: clientOptions)
            let payload = patternBytes(size, seed: size)
            try await client.send(payload)
            let echoed = try await client.nextMessage(timeout: .seconds(8))
            #expect(echoed == .binary(payload))
        }
    }

    @Test("text messages of every length class are echoed as text", arguments: sizes)
    func textEcho(size: Int) async throws {
        var options = WebSocketOptions()
        options.maxLength = 32 << 20
        var clientOptions = DriverOptions()
        clientOptions.maxLength = 32 << 20
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client(options: clientOptions)
            let text = patternText(size)
            #expect(text.utf8.count == size)
            try await client.send(text)
            let echoed = try await client.nextMessage(timeout: .seconds(8))
            #expect(echoed == .text(text))
        }
    }

    @Test("many messages keep their order")
    func order() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            for index in 0..<500 { try await client.send("message \(index)") }
            for index in 0..<500 {
                #expect(try await client.nextMessage() == .text("message \(index)"))
            }
        }
    }

    @Test("200 concurrent connections each echo their own messages")
    func concurrentConnections() async throws {
        try await withLoopback { loopback in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in 0..<200 {
                    group.addTask {
                        let client = try await loopback.client(path: "/c\(connection)")
                        for index in 0..<5 {
                            try await client.send("c\(connection) m\(index)")
                            try await client.send(patternBytes(200 + index, seed: connection))
                        }
                        for index in 0..<5 {
                            #expect(
                                try await client.nextMessage(timeout: .seconds(8)) == .text("c\(connection) m\(index)"))
                            #expect(
                                try await client.nextMessage(timeout: .seconds(8))
                                    == .binary(patternBytes(200 + index, seed: connection)))
                        }
                        #expect(try await client.close())
                        #expect(try await client.closeEvent().code == 1000)
                        try await client.waitDisconnected()
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("frames sent in the same TCP write as the upgrade request are not lost")
    func earlyFrames() async throws {
        let early =
            WebSocketHandshakes.maskedText("early one")
            + WebSocketHandshakes.maskedFrame(opcode: 0x2, payload: [1, 2, 3])
            + WebSocketHandshakes.maskedText("early two")
        try await withLoopback { loopback in
            let client = try await loopback.client(earlyBytes: early)
            #expect(try await client.nextMessage() == .text("early one"))
            #expect(try await client.nextMessage() == .binary([1, 2, 3]))
            #expect(try await client.nextMessage() == .text("early two"))
            try await client.send("later")
            #expect(try await client.nextMessage() == .text("later"))
        }
    }

    @Test("a raw request and frames in one write: handshake and echoes arrive")
    func earlyFramesRaw() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(
                Array(WebSocketHandshakes.request(path: "/raw").utf8) + WebSocketHandshakes.maskedText("hi")
                    + WebSocketHandshakes.maskedText("there"))
            let response = try await client.readResponse()
            #expect(response.status == 101)
            #expect(response.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            let bytes = try await client.rawBytes { WebSocketHandshakes.serverFrames($0).count >= 2 }
            let frames = WebSocketHandshakes.serverFrames(bytes)
            #expect(frames.map(\.opcode) == [1, 1])
            #expect(frames.map { String(decoding: $0.payload, as: UTF8.self) } == ["hi", "there"])
        }
    }

    @Test("the server binds ::1 and serves WebSockets over IPv6")
    func ipv6() async throws {
        try await withLoopback(host: "::1") { loopback in
            #expect(loopback.server.localAddress?.protocol == .inet6)
            let client = try await loopback.client(path: "/six")
            try await client.send("over IPv6")
            #expect(try await client.nextMessage() == .text("over IPv6"))
            let socket = try await loopback.nextServerSocket()
            #expect(socket.url == "ws://[::1]:\(loopback.port)/six")
        }
    }

    @Test("subprotocol, version, url and extensions are reported on the server side")
    func negotiatedFacts() async throws {
        var options = WebSocketOptions()
        options.protocols = ["chat", "superchat"]
        var clientOptions = DriverOptions()
        clientOptions.protocols = ["superchat", "chat"]
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client(path: "/facts?x=1", options: clientOptions)
            let socket = try await loopback.nextServerSocket()
            #expect(socket.protocol == "superchat")
            #expect(socket.version == "hybi-13")
            #expect(socket.extensions == [])
            #expect(socket.url == "ws://127.0.0.1:\(loopback.port)/facts?x=1")
            #expect(socket.request?.target == "/facts?x=1")
            #expect(socket.readyState == .open)
            #expect(try await client.responseHeaders()?["Sec-WebSocket-Protocol"] == "superchat")
        }
    }
}
