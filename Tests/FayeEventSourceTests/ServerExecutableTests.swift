import FayeEventSource
import FayeTestSupport
import Foundation
import NIOPosix
import Testing

/// The built `faye-server`, next to the test binary (whatever the scratch path) or in
/// `.build/debug` under the package root.
private func fayeServerExecutable() throws -> URL {
    var candidates: [URL] = []
    var starts: [URL] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        starts.append(URL(fileURLWithPath: exe))
    }
    if let first = CommandLine.arguments.first, first.hasPrefix("/") { starts.append(URL(fileURLWithPath: first)) }
    for start in starts {
        var directory = start.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("faye-server"))
            directory = directory.deletingLastPathComponent()
        }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/faye-server"))
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw TestTimeout(what: "a built faye-server (run `swift build --build-tests` first)", after: .zero)
    }
    return found
}

/// Runs `faye-server --port 0` with `arguments`, gives its port and process to `body`, then
/// stops it.
private func withFayeServer(_ arguments: [String], _ body: (Int, Process) async throws -> Void) async throws {
    let process = Process()
    process.executableURL = try fayeServerExecutable()
    process.arguments = ["--port", "0"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    let stderr = Locked<[UInt8]>([])
    try process.run()
    let reader = Thread {
        while true {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            stderr.withLock { $0 += data }
        }
    }
    reader.start()
    defer {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
    let port = try await eventuallyValue("faye-server to listen") { () -> Int? in
        let text = String(decoding: stderr.current, as: UTF8.self)
        guard let range = text.range(of: "faye-server listening on ws://127.0.0.1:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
    try await body(port, process)
}

@Suite("faye-server's EventSource")
struct ServerExecutableTests {
    @Test("ticks continue after Last-Event-ID, with CORS and the retry of --sse-retry; GET / is the demo page")
    func ticks() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await withFayeServer(["--sse-interval", "20", "--sse-retry", "2.5"]) { port, _ in
                let client = try await StreamClient.connect(
                    group: group, port: port, path: "/any/path", headers: ["Last-Event-ID: 41"])
                let head = try await client.head()
                #expect(head.statusLine == "HTTP/1.1 200 OK")
                #expect(head.header("Content-Type") == "text/event-stream")
                #expect(head.header("Access-Control-Allow-Origin") == "*")
                #expect(head.header("Connection") == "close")
                let events = try await client.events(atLeast: 3)
                #expect(
                    Array(events.prefix(3))
                        == (42...44).map { ParsedEvent(type: "tick", data: "\($0)", lastEventID: "\($0)") })
                #expect(EventStreamParser.parse(client.body).retry == 2500)
                #expect(
                    client.body.starts(with: Array("retry: 2500\r\n\r\nevent: tick\r\nid: 42\r\ndata: 42\r\n\r\n".utf8))
                )
                await client.close()

                let fresh = try await StreamClient.connect(group: group, port: port)
                #expect(try await fresh.events(atLeast: 1).first?.data == "1")
                await fresh.close()

                let page = try await StreamClient.connect(group: group, port: port, path: "/", accept: nil)
                try await eventually("the demo page") {
                    let text = String(decoding: page.body, as: UTF8.self)
                    return text.contains("new EventSource(") && text.contains("new WebSocket(")
                        && text.contains("</script>")
                }
                #expect(try await page.head().header("Content-Type") == "text/html; charset=utf-8")
                await page.close()
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test("SIGTERM: an open WebSocket is closed with 1001 and faye-server exits 0")
    func sigterm() async throws {
        try await withFayeServer([]) { port, process in
            let socket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/")
            try await socket.send(.text("still here"))
            var messages = socket.messages.makeAsyncIterator()
            #expect(try await messages.next() == .text("still here"))
            process.terminate()  // SIGTERM
            let event = try await socket.closed()
            #expect(event.code == .goingAway)
            let status = await onDedicatedThread { () -> Int32 in
                process.waitUntilExit()
                return process.terminationStatus
            }
            #expect(process.terminationReason == .exit)
            #expect(status == 0)
        }
    }
}
