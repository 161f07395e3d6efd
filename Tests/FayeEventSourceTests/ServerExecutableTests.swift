import FayeEventSource
import FayeLoopbackSupport
import FayeTestSupport
import Foundation
import NIOPosix
import Testing

@Suite("faye-server's EventSource")
struct ServerExecutableTests {
    @Test("ticks continue after Last-Event-ID, with CORS and the retry of --sse-retry; GET / is the demo page")
    func ticks() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await withFayeServer(["--sse-interval", "20", "--sse-retry", "2.5"]) { port in
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
                #expect(ReferenceStreamReader.parse(client.body).retry == 2500)
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
}
