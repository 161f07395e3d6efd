import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOPosix
import PermessageDeflate
import Testing
import WebSocketDriver

/// `faye-client` and `faye-autobahn-client` as built, end to end (DESIGN §3).
@Suite("faye-client and faye-autobahn-client executables")
struct ClientExecutableTests {
    @Test("faye-client against faye-server: stdin lines out, echoes printed, exit 0 at EOF")
    func echoThroughServer() async throws {
        try await withFayeServer { port in
            let client = try ChildProcess(try packageExecutable("faye-client"), ["ws://127.0.0.1:\(port)/"])
            defer { client.stop() }
            let lines = ["hello", "", "  spaced  out  ", "ünïcödé ✓ 🎉", String(repeating: "x", count: 100_000)]
            for line in lines { try client.write(line + "\n") }
            try await eventually("the echoes", timeout: .seconds(10)) { client.outputLines.count >= lines.count }
            #expect(client.outputLines == lines)
            client.closeInput()
            #expect(try await client.waitForExit() == 0)
            #expect(client.outputLines == lines)
            #expect(client.errorText == "", "stderr: \(client.errorText)")
        }
    }

    @Test("faye-client prints binary messages as a size, offers protocols and headers, exits 0 on a server close")
    func binaryProtocolsHeaders() async throws {
        var serverOptions = WebSocketOptions()
        serverOptions.protocols = ["two"]
        let requests = Inbox<IncomingRequest>()
        let setup: @Sendable (WebSocket) -> Void = { socket in
            if let request = socket.request { requests.append(request) }
            socket.onOpen {
                socket.send("welcome \(socket.protocol)")
                socket.send([1, 2, 3])
                socket.send([UInt8]())
                socket.send("line one\nline two")
            }
            socket.onMessage { message in
                if message == .text("bye") { _ = try? socket.close(code: 4001, reason: "server done") }
            }
        }
        try await withLoopback(options: serverOptions, echo: false, setup: setup) { loopback in
            let client = try ChildProcess(
                try packageExecutable("faye-client"),
                [
                    "ws://127.0.0.1:\(loopback.port)/x", "--protocol", "one", "--protocol", "two",
                    "--header", "Origin: http://example.test", "--header", "X-Test:value with spaces",
                    "--no-deflate",
                ])
            defer { client.stop() }
            try await eventually("the server's messages", timeout: .seconds(10)) { client.outputLines.count >= 5 }
            #expect(client.outputLines == ["welcome two", "binary 3 bytes", "binary 0 bytes", "line one", "line two"])
            try client.write("bye\n")
            // The server closes first; the client exits without waiting for stdin's end.
            #expect(try await client.waitForExit() == 0)
            let request = try await requests.next(timeout: .seconds(5), "the request")
            #expect(request.headers["Sec-WebSocket-Protocol"] == "one, two")
            #expect(request.headers["Origin"] == "http://example.test")
            #expect(request.headers["X-Test"] == "value with spaces")
            #expect(request.headers["Sec-WebSocket-Extensions"] == nil)
        }
    }

    @Test("faye-client offers permessage-deflate; a last line without newline is sent at EOF before the close")
    func deflateAndLastLine() async throws {
        let requests = Inbox<IncomingRequest>()
        let received = Inbox<SocketEvent>()
        let setup: @Sendable (WebSocket) -> Void = { socket in
            if let request = socket.request { requests.append(request) }
            socket.onMessage { received.append(.message($0)) }
            socket.onClose { received.append(.close($0.code.rawValue, $0.reason)) }
        }
        try await withLoopback(echo: false, setup: setup) { loopback in
            let client = try ChildProcess(try packageExecutable("faye-client"), ["ws://127.0.0.1:\(loopback.port)/"])
            defer { client.stop() }
            let request = try await requests.next(timeout: .seconds(10), "the request")
            #expect(request.headers["Sec-WebSocket-Extensions"]?.hasPrefix("permessage-deflate") == true)
            try client.write("first\nno newline at the end")
            client.closeInput()
            #expect(try await client.waitForExit() == 0)
            #expect(try await received.next(timeout: .seconds(5), "a message") == .message(.text("first")))
            #expect(
                try await received.next(timeout: .seconds(5), "a message") == .message(.text("no newline at the end")))
            #expect(try await received.next(timeout: .seconds(5), "the close") == .close(1000, ""))
        }
    }

    @Test("faye-client through tinyproxy with credentials from --proxy")
    func throughProxy() async throws {
        try await withTinyProxy { proxy in
            try await withFayeServer { port in
                let client = try ChildProcess(
                    try packageExecutable("faye-client"), ["ws://127.0.0.1:\(port)/", "--proxy", proxy.url()])
                defer { client.stop() }
                try client.write("via tinyproxy\n")
                try await eventually("the echo", timeout: .seconds(10)) { client.outputLines.count >= 1 }
                client.closeInput()
                #expect(try await client.waitForExit() == 0)
                #expect(client.outputLines == ["via tinyproxy"])
            }
        }
    }

    @Test("faye-client failures: a message on stderr and a non-zero exit")
    func failures() async throws {
        try await withRefusingPort { port in
            let refused = try ChildProcess(try packageExecutable("faye-client"), ["ws://127.0.0.1:\(port)/"])
            defer { refused.stop() }
            #expect(try await refused.waitForExit() != 0)
            #expect(refused.errorText.hasPrefix("faye-client: Network error: ws://127.0.0.1:\(port)/: "))
            #expect(refused.errorText.lowercased().contains("refused"))
            #expect(refused.outputText == "")

            let secure = try ChildProcess(
                try packageExecutable("faye-client"), ["wss://127.0.0.1:\(port)/", "--ca-file", "/nonexistent.pem"])
            defer { secure.stop() }
            #expect(try await secure.waitForExit() != 0)
            #expect(secure.errorText.hasPrefix("faye-client: "))

            try await withTinyProxy { proxy in
                let denied = try ChildProcess(
                    try packageExecutable("faye-client"),
                    ["ws://127.0.0.1:\(port)/", "--proxy", proxy.url(user: nil), "--insecure"])
                defer { denied.stop() }
                #expect(try await denied.waitForExit() != 0)
                #expect(denied.errorText.contains("407"))
            }
        }

        let badHeader = try ChildProcess(
            try packageExecutable("faye-client"), ["ws://127.0.0.1:1/", "--header", "nocolon"])
        defer { badHeader.stop() }
        #expect(try await badHeader.waitForExit() != 0)
        #expect(badHeader.errorText.contains("--header"))
    }

    @Test("faye-client exits non-zero on a protocol error from the server")
    func protocolError() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // A server whose first frame has a reserved opcode: the client fails with 1002.
        let canned = try await CannedServer.start(group: group) { request in
            CannedServer.switching(request) + [0x83, 0x00]
        }
        let client = try ChildProcess(try packageExecutable("faye-client"), [canned.url, "--no-deflate"])
        defer { client.stop() }
        let status = try await client.waitForExit()
        await canned.stop()
        try await group.shutdownGracefully()
        #expect(status != 0)
        #expect(client.errorText.contains("faye-client: Unrecognized frame opcode: 3"), "stderr: \(client.errorText)")
    }

    @Test("faye-autobahn-client drives a fuzzing-server look-alike: count, cases echoed, reports updated")
    func autobahnClient() async throws {
        let log = Inbox<String>()
        let responder: FayeHTTPHandler.Responder = { request in
            let target = request.request.target
            var options = WebSocketOptions()
            options.extensions = [PermessageDeflate()]
            return .webSocket(options: options) { socket in
                if target == "/getCaseCount" {
                    socket.onOpen {
                        socket.send("5")
                        _ = try? socket.close()
                    }
                } else if target.hasPrefix("/runCase?") {
                    let received = Locked<[WebSocketMessage]>([])
                    socket.onOpen {
                        socket.send("text of \(target)")
                        socket.send(Array(target.utf8))
                    }
                    socket.onMessage { message in
                        received.append(message)
                        guard received.current.count == 2 else { return }
                        let ok = received.current == [.text("text of \(target)"), .binary(Array(target.utf8))]
                        log.append("\(target) \(ok ? "echoed" : "wrong") deflate=\(socket.extensions)")
                        _ = try? socket.close()
                    }
                } else if target.hasPrefix("/updateReports?") {
                    socket.onOpen {
                        log.append(target)
                        _ = try? socket.close()
                    }
                }
            }
        }
        try await withLoopback(responder: responder) { loopback in
            let client = try ChildProcess(
                try packageExecutable("faye-autobahn-client"),
                ["--url", "ws://127.0.0.1:\(loopback.port)", "--agent", "my agent", "--cases", "2-3"])
            defer { client.stop() }
            #expect(try await client.waitForExit(timeout: .seconds(20)) == 0, "stderr: \(client.errorText)")
            #expect(
                log.pending == [
                    "/runCase?case=2&agent=my%20agent echoed deflate=[\"permessage-deflate\"]",
                    "/runCase?case=3&agent=my%20agent echoed deflate=[\"permessage-deflate\"]",
                    "/updateReports?agent=my%20agent",
                ])
            #expect(client.errorText.contains("ran 2 of 5 cases"))
        }
    }

    @Test("faye-autobahn-client exits non-zero when the fuzzing server cannot be reached")
    func autobahnUnreachable() async throws {
        try await withRefusingPort { port in
            let client = try ChildProcess(
                try packageExecutable("faye-autobahn-client"), ["--url", "ws://127.0.0.1:\(port)"])
            defer { client.stop() }
            #expect(try await client.waitForExit() != 0)
            #expect(client.errorText.contains("cannot reach the fuzzing server"))
        }
    }
}
