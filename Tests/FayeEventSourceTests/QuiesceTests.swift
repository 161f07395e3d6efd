import FayeEventSource
import FayeTestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@Suite("An event stream on a taken-over connection and the host's quiesce event")
struct QuiesceTests {
    @Test("ChannelShouldQuiesceEvent ends the stream after what was sent; the connection closes")
    func quiesceEndsTheStream() async throws {
        let channel = NIOAsyncTestingChannel()
        let sources = Inbox<EventSource>()
        let closes = Inbox<EventSourceCloseEvent>()
        try await channel.testingEventLoop.executeInContext {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [], completionHandler: { _ in }))
            try pipeline.addHandler(
                FayeHTTPHandler { _ in
                    .eventSource { source in
                        source.onClose { closes.append($0) }
                        sources.append(source)
                    }
                })
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        try await channel.writeInbound(
            ByteBuffer(string: "GET /events HTTP/1.1\r\nHost: example.com\r\nAccept: text/event-stream\r\n\r\n"))
        let loop = channel.testingEventLoop
        let source = try await eventuallyValue("the stream") { () -> EventSource? in
            await loop.run()
            return sources.pending.first
        }
        try await loop.executeInContext {
            try sendWithoutWaiting(source, "last words", id: "7")
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        try await eventually("the connection to close") {
            await loop.run()
            return !channel.isActive
        }
        var written = ""
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
            written += String(buffer: buffer)
        }
        #expect(written.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(written.hasSuffix("id: 7\r\ndata: last words\r\n\r\n"))
        #expect(try await closes.next(timeout: .seconds(5), "the close event").reason == .closedLocally)
        // What a server's drain does with a stream that is already gone: the callback runs at
        // once, and no promise is left behind unfulfilled (debug builds trap on one).
        let ranAtOnce = Locked(false)
        source.whenGone { ranAtOnce.withLock { $0 = true } }
        #expect(ranAtOnce.current)
    }
}
