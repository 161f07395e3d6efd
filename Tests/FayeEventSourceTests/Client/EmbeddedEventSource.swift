import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import FayeEventSource

/// An ``EventSourceClient`` whose connections are `EmbeddedChannel`s on one `EmbeddedEventLoop`:
/// requests are read as bytes, responses written as bytes, and time is virtual.
///
/// Synchronous tests only: the embedded loop belongs to the thread that made it.
final class EmbeddedEventSource {
    let loop = EmbeddedEventLoop()
    let connector: Connector
    let client: EventSourceClient
    private let recorded = NIOLockedValueBox(Recorded())

    struct Recorded {
        var events: [MessageEvent] = []
        var errors: [EventSourceClientError] = []
        var states: [EventSourceClient.ReadyState] = []
        var opens = 0
    }

    /// Opens connections as embedded channels, or refuses the next ones.
    final class Connector: EventSourceConnector, @unchecked Sendable {
        let loop: EmbeddedEventLoop
        var channels: [EmbeddedChannel] = []
        var refusals = 0
        /// Counts the reads the client asks the channel for (first in each pipeline).
        let readCounter = ReadCounter()

        init(loop: EmbeddedEventLoop) { self.loop = loop }

        func open(
            request: EventSourceRequestHead, options: WebSocketClientOptions, eventLoop: any EventLoop,
            handler: EventSourceClientHandler
        ) {
            if refusals > 0 {
                refusals -= 1
                handler.connectionFailed(
                    WebSocketError(
                        .connectionFailed(host: request.target.transport.host, port: 80, errno: 111),
                        message: "Network error: \(request.target): connection refused"))
                return
            }
            let channel = EmbeddedChannel(loop: loop)
            do {
                try channel.pipeline.syncOperations.addHandler(readCounter)
                try channel.pipeline.syncOperations.addHandlers(handler.channelHandlers())
                handler.start()
                try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
            } catch {
                Issue.record("could not set up the embedded connection: \(error)")
            }
            channels.append(channel)
        }
    }

    init(url: String = "http://example.com/stream", options: EventSourceClientOptions = EventSourceClientOptions()) {
        connector = Connector(loop: loop)
        client = EventSourceClient(url: url, options: options, eventLoop: loop, connector: connector, random: { 0 })
        let recorded = self.recorded
        let client = self.client
        client.onOpen { recorded.withLockedValue { $0.opens += 1 } }
        client.onError { error in
            recorded.withLockedValue {
                $0.errors.append(error)
                $0.states.append(client.readyState)
            }
        }
        loop.run()
    }

    /// Records the events of `type`.
    func listen(_ type: String) {
        let recorded = self.recorded
        client.addEventListener(type) { event in recorded.withLockedValue { $0.events.append(event) } }
        loop.run()
    }

    var events: [MessageEvent] { recorded.withLockedValue { $0.events } }
    var errors: [EventSourceClientError] { recorded.withLockedValue { $0.errors } }
    var statesAtErrors: [EventSourceClient.ReadyState] { recorded.withLockedValue { $0.states } }
    var opens: Int { recorded.withLockedValue { $0.opens } }
    var channels: [EmbeddedChannel] { connector.channels }

    /// The newest connection.
    var channel: EmbeddedChannel {
        get throws { try #require(connector.channels.last) }
    }

    /// What the client wrote on the newest connection, as text.
    func request() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    /// Writes response bytes into the newest connection.
    func respond(_ text: String) throws {
        try respond(Array(text.utf8))
    }

    func respond(_ bytes: [UInt8]) throws {
        let channel = try self.channel
        guard channel.isActive else { return }
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        loop.run()
    }

    /// `200` with `text/event-stream`, close-delimited.
    func accept(_ extraHeaders: String = "") throws {
        try respond("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\(extraHeaders)\r\n")
    }

    /// The server closes the newest connection.
    func drop() throws {
        let channel = try self.channel
        if channel.isActive { try channel.close().wait() }
        loop.run()
    }

    func advance(by amount: TimeAmount) {
        loop.advanceTime(by: amount)
        loop.run()
    }

    /// Closes the client and every channel.
    func finish() throws {
        client.close()
        loop.run()
        for channel in connector.channels where channel.isActive {
            _ = try? channel.finish()
        }
        try loop.syncShutdownGracefully()
    }
}

/// Counts the `read()` calls that reach the front of the pipeline.
final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = NIOAny
    private(set) var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}
