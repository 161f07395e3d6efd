import FayeEventSource
import FayeTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The own-pipeline example of Docs/FayeEventSource.md. Keep the two in step.
func startMyEventServer(group: MultiThreadedEventLoopGroup) async throws -> any Channel {
    let bootstrap = ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [], completionHandler: { _ in })
                )
                try pipeline.addHandler(
                    FayeHTTPHandler { request in
                        guard request.isEventSource else {
                            return ServerResponse(text: "Hello from my pipeline\n")
                        }
                        return .eventSource { source in
                            try? source.send("hello \(source.lastEventId)", event: "greeting", id: "1")
                        }
                    }
                )
            }
        }
    return try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
}

@Suite("EventSource in a user's own pipeline")
struct UserPipelineTests {
    @Test("a plain request is kept alive, then the same connection becomes an event stream")
    func mounted() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverChannel = try await startMyEventServer(group: group)
        do {
            let port = try #require(serverChannel.localAddress?.port)
            // An ordinary request first (kept alive), then the EventSource request on the same
            // connection.
            let client = try await StreamClient.connect(group: group, port: port, path: "/", accept: nil)
            let plain = try await client.head()
            #expect(plain.statusLine == "HTTP/1.1 200 OK")
            try await eventually("the plain body") { client.body == Array("Hello from my pipeline\n".utf8) }
            let plainLength = client.received.count
            try await client.write(
                "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nLast-Event-ID: 9\r\n\r\n"
            )
            let expected =
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n"
                + "Connection: close\r\n\r\nretry: 5000\r\n\r\nevent: greeting\r\nid: 1\r\ndata: hello 9\r\n\r\n"
            try await eventually("the event stream") {
                Array(client.received.dropFirst(plainLength)) == Array(expected.utf8)
            }
            await client.close()
        } catch {
            try? await serverChannel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await serverChannel.close()
        try await group.shutdownGracefully()
    }
}
