import FayeTestSupport
import FayeWebSocket
import PermessageDeflate
import Testing
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The checks every server with `faye-server`'s command line passes: `faye-server` itself and the
/// host demos (`faye-vapor-demo`, `faye-hummingbird-demo`), each run as a process.
public enum DemoServerChecks {
    /// Echo of text and binary with permessage-deflate and the first offered subprotocol that
    /// `--protocols` lists.
    public static func echo(_ executable: String) async throws {
        try await withFayeServer(executable: executable, ["--protocols", "chat,superchat"]) { port in
            var options = WebSocketOptions()
            options.protocols = ["other", "superchat", "chat"]
            options.extensions = [PermessageDeflate()]
            try await WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/any/path", options: options) { socket in
                #expect(socket.protocol == "superchat")
                #expect(socket.extensions == ["permessage-deflate"])
                var messages = socket.messages.makeAsyncIterator()
                let text = String(repeating: "héllo ", count: 2000)
                try await socket.send(.text(text))
                #expect(try await messages.next() == .text(text))
                try await socket.send(.binary([0, 1, 2, 255]))
                #expect(try await messages.next() == .binary([0, 1, 2, 255]))
            }
        }
    }

    /// A malformed upgrade gets the embedded server's status and reason (426 with
    /// `Sec-WebSocket-Version: 13`, 400), and the server keeps serving.
    public static func refusals(_ executable: String) async throws {
        try await withFayeServer(executable: executable) { port in
            let wrongVersion = try await rawRequest(
                port: port, upgradeRequest(overriding: ("Sec-WebSocket-Version", "8")))
            #expect(wrongVersion.status == 426)
            #expect(wrongVersion.header("Sec-WebSocket-Version") == "13")
            #expect(wrongVersion.body == #"Unsupported WebSocket version: "8"; this server speaks 13"#)
            let badKey = try await rawRequest(port: port, upgradeRequest(overriding: ("Sec-WebSocket-Key", "short")))
            #expect(badKey.status == 400)
            #expect(badKey.body == #"Invalid Sec-WebSocket-Key: "short" is not 16 bytes in base64"#)
            // Still serving.
            try await WebSocket.withConnection(to: "ws://127.0.0.1:\(port)/") { socket in
                try await socket.send(.text("still here"))
                var messages = socket.messages.makeAsyncIterator()
                #expect(try await messages.next() == .text("still here"))
            }
        }
    }

    /// The tick stream: `retry` from `--sse-retry`, ids after Last-Event-ID, CORS; `GET /` is the
    /// demo page and other paths 404.
    public static func eventSourceAndPage(_ executable: String) async throws {
        try await withFayeServer(executable: executable, ["--sse-interval", "20", "--sse-retry", "2.5"]) { port in
            let socket = try RawSocket(port: port)
            try await socket.write(
                "GET /any/path HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nLast-Event-ID: 41\r\n\r\n")
            let (bytes, _) = await socket.read(for: .seconds(10)) { bytes in
                String(decoding: bytes, as: UTF8.self).contains("data: 44\r\n\r\n")
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            let head = text.split(separator: "\r\n\r\n", maxSplits: 1).first.map(String.init) ?? ""
            #expect(head.lowercased().contains("content-type: text/event-stream"))
            #expect(head.lowercased().contains("access-control-allow-origin: *"))
            #expect(text.contains("retry: 2500\r\n\r\n"))
            for id in 42...44 { #expect(text.contains("event: tick\r\nid: \(id)\r\ndata: \(id)\r\n\r\n")) }
            #expect(!text.contains("id: 41\r\n"))

            let page = try await rawRequest(port: port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains("new WebSocket(") && page.body.contains("new EventSource("))
            let missing = try await rawRequest(port: port, "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(missing.status == 404)
        }
    }

    /// `--max-length`: a longer message closes the socket with 1009.
    public static func maxLength(_ executable: String) async throws {
        try await withFayeServer(executable: executable, ["--max-length", "16"]) { port in
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
            try await socket.send(.text("sixteen bytes ok"))
            var messages = socket.messages.makeAsyncIterator()
            #expect(try await messages.next() == .text("sixteen bytes ok"))
            _ = socket.send("seventeen bytes!!")
            #expect(await socket.finalCloseEvent().code == .messageTooBig)
        }
    }

    /// SIGTERM: an open socket is closed with 1001, an open event stream ends, and the server
    /// exits 0 within 2 s.
    public static func sigterm(_ executable: String) async throws {
        try await withFayeServerProcess(executable: executable, ["--sse-interval", "50"]) { port, process in
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
            try await socket.send(.text("still here"))
            var messages = socket.messages.makeAsyncIterator()
            #expect(try await messages.next() == .text("still here"))
            let stream = try RawSocket(port: port)
            try await stream.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
            let (first, _) = await stream.read(for: .seconds(10)) { bytes in
                String(decoding: bytes, as: UTF8.self).contains("data: 1\r\n\r\n")
            }
            #expect(String(decoding: first, as: UTF8.self).contains("data: 1\r\n\r\n"))
            let signalled = ContinuousClock.now
            kill(process.pid, SIGTERM)
            #expect(await socket.finalCloseEvent().code == .goingAway)
            #expect(await stream.read(for: .seconds(5)).closed)
            let status = try await process.waitForExit(timeout: .seconds(10))
            #expect(status == 0)
            #expect(ContinuousClock.now - signalled < .seconds(2))
        }
    }

    // MARK: - Raw HTTP

    /// An HTTP response read off a raw socket.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: String

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    static func upgradeRequest(overriding field: (String, String)) -> String {
        var headers: [(String, String)] = [
            ("Host", "127.0.0.1"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
        ]
        headers = headers.map { $0.0 == field.0 ? field : $0 }
        return "GET /socket HTTP/1.1\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
    }

    /// Sends `request` on a new connection and reads one response with a `Content-Length` body.
    public static func rawRequest(port: Int, _ request: String) async throws -> Response {
        let socket = try RawSocket(port: port)
        try await socket.write(request)
        let (bytes, _) = await socket.read(for: .seconds(10)) { bytes in parse(bytes) != nil }
        guard let response = parse(bytes) else {
            throw SetupError("no complete response: \(String(decoding: bytes, as: UTF8.self))")
        }
        return response
    }

    private static func parse(_ bytes: [UInt8]) -> Response? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        var lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let body = Array(text[end.upperBound...].utf8)
        guard body.count >= length else { return nil }
        return Response(status: status, headers: headers, body: String(decoding: body.prefix(length), as: UTF8.self))
    }
}
