import FayeTestSupport
import FayeWebSocket
import NIOCore
import PermessageDeflate
import Testing
import WebSocketDriver

/// Extensions, limits, control frames and the legacy drafts through the embedded server.
@Suite("Protocol variants through the server", .allocatesMemory)
struct ProtocolVariantTests {
    @Test("permessage-deflate is negotiated and large messages survive the round trip")
    func deflate() async throws {
        var options = WebSocketOptions()
        options.extensions = [PermessageDeflate()]
        var clientOptions = DriverOptions()
        try clientOptions.extensions.add(PermessageDeflate())
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client(options: clientOptions)
            let socket = try await loopback.nextServerSocket()
            #expect(socket.extensions == ["permessage-deflate"])
            let text = patternText(1 << 20)
            try await client.send(text)
            #expect(try await client.nextMessage(timeout: .seconds(8)) == .text(text))
            try await client.send(patternBytes(100_000))
            #expect(try await client.nextMessage() == .binary(patternBytes(100_000)))
        }
    }

    @Test("a message over maxLength closes the connection with 1009")
    func maxLength() async throws {
        var options = WebSocketOptions()
        options.maxLength = 1000
        try await withLoopback(options: options) { loopback in
            let client = try await loopback.client()
            let socket = try await loopback.nextServerSocket()
            try await client.send(patternBytes(1000))
            #expect(try await client.nextMessage() == .binary(patternBytes(1000)))
            try await client.send(patternBytes(1001))
            #expect(try await client.closeEvent().code == 1009)
            let event = try await withTimeout("the server's close") { await socket.finalCloseEvent() }
            #expect(event.code == .messageTooBig)
        }
    }

    @Test("the server answers a client's ping with a pong")
    func pong() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.client()
            #expect(try await client.ping("are you there"))
            let event = try await client.state.events.next(timeout: .seconds(5), "the pong") {
                if case .pong = $0 { return true }
                return false
            }
            #expect(event == .pong(Array("are you there".utf8)))
        }
    }

    @Test("a draft-76 client: the key3 body after the head arrives and the challenge is answered")
    func draft76() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            let request =
                "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n"
                + "Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
                + "Origin: http://example.com\r\n\r\n^n:ds[4U"
            try await client.writeRaw(Array(request.utf8) + [0x00] + Array("early".utf8) + [0xFF])
            let bytes = try await client.rawBytes { bytes in
                guard let (_, length) = RawHTTPResponse.parse(bytes) else { return false }
                return bytes.count >= length + 16 + 7
            }
            let (response, length) = try #require(RawHTTPResponse.parse(bytes))
            #expect(response.status == 101)
            #expect(response.header("Sec-WebSocket-Location") == "ws://example.com/demo")
            #expect(Array(bytes[length..<(length + 16)]) == Array("8jKS'y:G*Co,Wxa-".utf8))
            #expect(Array(bytes[(length + 16)...]) == [0x00] + Array("early".utf8) + [0xFF])
            let socket = try await loopback.nextServerSocket()
            #expect(socket.version == "hixie-76")
        }
    }

    @Test("a draft-75 client is served too")
    func draft75() async throws {
        try await withLoopback { loopback in
            let client = try await loopback.rawClient()
            let request =
                "GET /old HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\n"
                + "Origin: http://example.com\r\n\r\n"
            try await client.writeRaw(request)
            let response = try await client.readResponse()
            #expect(response.status == 101)
            #expect(response.header("WebSocket-Location") == "ws://example.com/old")
            try await client.writeRaw([0x00] + Array("hello".utf8) + [0xFF])
            let echoed = try await client.rawBytes { $0.count >= 7 }
            #expect(echoed == [0x00] + Array("hello".utf8) + [0xFF])
            let socket = try await loopback.nextServerSocket()
            #expect(socket.version == "hixie-75")
        }
    }
}
