import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// The HTTP side of the embedded server: ordinary requests, keep-alive, refusals and limits.
@Suite("HTTP serving and handshake refusals")
struct HTTPServingTests {
    @Test("an ordinary request, then an upgrade, on one keep-alive connection")
    func plainThenUpgrade() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let first = try await client.readResponse()
            #expect(first.status == 200)
            #expect(first.text == "plain GET /hello\n")
            #expect(first.header("Connection") == nil)

            try await client.writeRaw(
                "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nabcde")
            let second = try await client.readResponse()
            #expect(second.status == 200)
            #expect(second.text == "plain POST /echo\nabcde")

            try await client.upgrade(path: "/after-http")
            try await client.expectOpen()
            try await client.send("now a WebSocket")
            #expect(try await client.nextMessage() == .text("now a WebSocket"))
            let socket = try await loopback.nextServerSocket()
            #expect(socket.request?.target == "/after-http")
        }
    }

    @Test("a request asking for Connection: close is answered and the connection closed")
    func connectionClose() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            try await client.waitDisconnected()
        }
    }

    @Test("two pipelined requests in one write get two responses in order")
    func pipelined() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == "plain GET /one\n")
            #expect(try await client.readResponse().text == "plain GET /two\n")
        }
    }

    @Test("an upgrade request answered with an ordinary response: the answer arrives, then the connection closes")
    func upgradeRequestAnsweredPlainly() async throws {
        let responder: FayeHTTPHandler.Responder = { request in
            guard request.request.path == "/ws" else { return ServerResponse(status: 404, text: "no such socket\n") }
            return .webSocket { socket in socket.onMessage { socket.send($0) } }
        }
        var server = LoopbackServer()
        server.responder = responder
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request(path: "/elsewhere"))
            let response = try await client.readResponse()
            #expect(response.status == 404)
            #expect(response.text == "no such socket\n")
            // NIO's decoder reads no further request after an upgrade request: the server says so.
            #expect(response.header("Connection") == "close")
            try await client.waitDisconnected()
        }
    }

    @Test("an ordinary request with an Upgrade header but no Connection: upgrade keeps the connection")
    func upgradeHeaderAlone() async throws {
        let responder: FayeHTTPHandler.Responder = { _ in ServerResponse(text: "plain\n") }
        var server = LoopbackServer()
        server.responder = responder
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n")
            let first = try await client.readResponse()
            #expect(first.header("Connection") == nil)
            try await client.writeRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == "plain\n")
        }
    }

    /// Each refused handshake: the expected status, then the connection closed.
    static let refusals: [(String, String, Int)] = [
        ("bad key", WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Key", "not base64!")]), 400),
        ("short key", WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Key", "c2hvcnQ=")]), 400),
        ("missing key", WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Key", "")]), 400),
        ("version 8", WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Version", "8")]), 426),
        ("not websocket", WebSocketHandshakes.request(overrides: [("Upgrade", "h2c")]), 400),
        ("POST", WebSocketHandshakes.request(method: "POST"), 400),
        ("HTTP/1.0", WebSocketHandshakes.request(version: "HTTP/1.0"), 400),
        ("no Connection: Upgrade", WebSocketHandshakes.request(overrides: [("Connection", "keep-alive")]), 400),
        ("bad extension offer", WebSocketHandshakes.request(extra: [("Sec-WebSocket-Extensions", "a;;b")]), 400),
    ]

    @Test(
        "malformed and non-WebSocket upgrade requests are refused and the connection closed",
        arguments: refusals.indices)
    func refusal(index: Int) async throws {
        let (name, request, status) = Self.refusals[index]
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(request)
            let response = try await client.readResponse()
            #expect(response.status == status, "\(name)")
            #expect(response.header("Connection") == "close", "\(name)")
            if status == 426 {
                #expect(response.header("Sec-WebSocket-Version") == "13")
            }
            try await client.waitDisconnected()
        }
    }

    @Test("a refused handshake: the server's WebSocket reports an error, then close 1002, never open")
    func refusedHandshakeEvents() async throws {
        let log = Locked<[String]>([])
        var server = LoopbackServer()
        server.setup = { socket in
            socket.onOpen { log.append("open") }
            socket.onError { log.append("error \($0.protocolError?.httpStatus ?? 0)") }
            socket.onClose { log.append("close \($0.code)") }
        }
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw(WebSocketHandshakes.request(overrides: [("Sec-WebSocket-Version", "8")]))
            #expect(try await client.readResponse().status == 426)
            let socket = try await loopback.nextServerSocket()
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == .protocolError)
            try await eventually("the close listener") { log.current.count == 2 }
            #expect(log.current == ["error 426", "close 1002"])
            #expect(socket.readyState == .closed)
        }
    }

    @Test("a request head that cannot be parsed gets 400 and a closed connection")
    func garbage() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            try await client.writeRaw("THIS IS NOT HTTP\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 400)
            try await client.waitDisconnected()
        }
    }

    @Test("an oversized request head gets 431 and a closed connection")
    func oversizedHead() async throws {
        var server = LoopbackServer()
        server.configuration.maxHeadSize = 4096
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            let padding = String(repeating: "x", count: 8000)
            try await client.writeRaw(WebSocketHandshakes.request(extra: [("X-Padding", padding)]))
            let response = try await client.readResponse()
            #expect(response.status == 431)
            try await client.waitDisconnected()
        }
    }

    @Test("too many header fields get 431")
    func tooManyHeaders() async throws {
        var server = LoopbackServer()
        server.configuration.maxHeaderCount = 20
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            let extra = (0..<40).map { ("X-Field-\($0)", "v") }
            try await client.writeRaw(WebSocketHandshakes.request(extra: extra))
            let response = try await client.readResponse()
            #expect(response.status == 431)
            try await client.waitDisconnected()
        }
    }

    @Test("a body over the limit gets 413 and a closed connection")
    func oversizedBody() async throws {
        var server = LoopbackServer()
        server.configuration.maxBodySize = 1000
        try await withLoopback(server) { loopback in
            let client = try await loopback.rawClient()
            let body = String(repeating: "b", count: 5000)
            try await client.writeRaw("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n\(body)")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            try await client.waitDisconnected()
        }
    }
}
