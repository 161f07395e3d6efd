import FayeEventSource
import FayeLoopbackSupport
import FayeTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

// MARK: - The event-stream parser of the HTML standard (§9.2.6), for reading what we wrote

/// One dispatched event, as a browser's `EventSource` would see it.
struct ParsedEvent: Hashable, Sendable, CustomStringConvertible {
    var type: String
    var data: String
    var lastEventID: String

    var description: String { "\(type)#\(lastEventID): \(data.debugDescription)" }
}

/// The HTML standard's event-stream interpretation: lines end in CRLF, LF or CR; fields
/// `event`, `data`, `id` (ignored with NUL), `retry` (ASCII digits only); comments; a blank line
/// dispatches (nothing when the data buffer is empty). Fed the whole body each time. Written
/// apart from the library's `EventStreamParser` on purpose: an independent reading of the
/// server's output.
struct ReferenceStreamReader {
    var events: [ParsedEvent] = []
    var retry: Int?
    var comments = 0
    private var lastEventID = ""
    private var dataBuffer = ""
    private var eventType = ""

    static func parse(_ body: [UInt8]) -> ReferenceStreamReader {
        var parser = ReferenceStreamReader()
        var bytes = body[...]
        // A UTF-8 BOM is skipped at the start of the stream only.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                // An unterminated CR at the very end may still be followed by an LF: wait.
                if byte == 0x0D && index + 1 == bytes.endIndex { break }
                parser.line(String(decoding: bytes[lineStart..<index], as: UTF8.self))
                index += (byte == 0x0D && bytes[index + 1] == 0x0A) ? 2 : 1
                lineStart = index
            } else {
                index += 1
            }
        }
        return parser
    }

    private mutating func line(_ line: String) {
        if line.isEmpty {
            dispatch()
            return
        }
        if line.hasPrefix(":") {
            comments += 1
            return
        }
        var name = line
        var value = ""
        if let colon = line.firstIndex(of: ":") {
            name = String(line[..<colon])
            value = String(line[line.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
        }
        switch name {
        case "event": eventType = value
        case "data": dataBuffer += value + "\n"
        case "id": if !value.contains("\0") { lastEventID = value }
        case "retry": if !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) { retry = Int(value) }
        default: break
        }
    }

    private mutating func dispatch() {
        guard !dataBuffer.isEmpty else {
            eventType = ""
            return
        }
        dataBuffer.removeLast()
        events.append(
            ParsedEvent(type: eventType.isEmpty ? "message" : eventType, data: dataBuffer, lastEventID: lastEventID))
        dataBuffer = ""
        eventType = ""
    }
}

// MARK: - A raw loopback client

/// Collects what the server sends on one connection.
final class StreamClientHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let received = Locked<[UInt8]>([])
    let byteCount = Locked(0)
    let isDisconnected = Locked(false)
    /// Count the bytes only (for streams too long to keep).
    let discard: Bool

    init(discard: Bool) {
        self.discard = discard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        byteCount.withLock { $0 += buffer.readableBytes }
        if !discard { received.withLock { $0 += buffer.readableBytesView } }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isDisconnected.withLock { $0 = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// An HTTP response head as received.
struct ResponseHead: Sendable {
    var statusLine: String
    var headers: [(name: String, value: String)]
    /// The raw head, through the blank line.
    var raw: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A raw TCP client that sends one request and reads the event stream back.
struct StreamClient: Sendable {
    let channel: any Channel
    let handler: StreamClientHandler

    /// Connects and writes `GET path` with `Accept: text/event-stream` (unless `accept` is nil)
    /// and the extra header lines.
    static func connect(
        group: any EventLoopGroup,
        port: Int,
        path: String = "/events",
        accept: String? = "text/event-stream",
        headers: [String] = [],
        discard: Bool = false,
        autoRead: Bool = true
    ) async throws -> StreamClient {
        let handler = StreamClientHandler(discard: discard)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let client = StreamClient(channel: channel, handler: handler)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        for line in headers { request += line + "\r\n" }
        request += "\r\n"
        try await client.write(request)
        return client
    }

    func write(_ text: String) async throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try await channel.writeAndFlush(buffer)
    }

    var received: [UInt8] { handler.received.current }

    /// The response head, once complete.
    func head() async throws -> ResponseHead {
        try await eventuallyValue("the response head") { () -> ResponseHead? in
            let bytes = handler.received.current
            guard let end = Self.endOfHead(bytes) else { return nil }
            let raw = String(decoding: bytes[..<end], as: UTF8.self)
            var lines = raw.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let statusLine = lines.removeFirst()
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return ResponseHead(statusLine: statusLine, headers: headers, raw: raw)
        }
    }

    /// The body bytes received so far (after the head).
    var body: [UInt8] {
        let bytes = received
        guard let end = Self.endOfHead(bytes) else { return [] }
        return Array(bytes[end...])
    }

    /// Waits until the body holds at least `count` events, and returns them all.
    func events(atLeast count: Int, timeout: Duration = .seconds(10)) async throws -> [ParsedEvent] {
        try await eventuallyValue("\(count) events", timeout: timeout) { () -> [ParsedEvent]? in
            let events = ReferenceStreamReader.parse(body).events
            return events.count >= count ? events : nil
        }
    }

    /// Waits until the body is exactly `expected`.
    func expectBody(_ expected: String, timeout: Duration = .seconds(10)) async throws {
        try await eventually("the body \(expected.debugDescription)", timeout: timeout) {
            body == Array(expected.utf8)
        }
    }

    func waitDisconnected(timeout: Duration = .seconds(10)) async throws {
        try await eventually("the connection to close", timeout: timeout) { handler.isDisconnected.current }
    }

    func close() async {
        try? await channel.close()
    }

    /// SO_LINGER 0: closing sends a RST instead of a FIN.
    func resetOnClose() async throws {
        let provider = try #require(channel as? any SocketOptionProvider)
        try await provider.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0)).get()
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

// MARK: - A loopback server

/// A running ``FayeServer`` on a free loopback port and a client event loop group.
struct Loopback: Sendable {
    let server: FayeServer
    let port: Int
    let group: MultiThreadedEventLoopGroup
    /// Every stream the server opened, in order.
    let sources: Locked<[EventSource]>

    func connect(
        path: String = "/events",
        accept: String? = "text/event-stream",
        headers: [String] = [],
        discard: Bool = false,
        autoRead: Bool = true
    ) async throws -> StreamClient {
        try await StreamClient.connect(
            group: group,
            port: port,
            path: path,
            accept: accept,
            headers: headers,
            discard: discard,
            autoRead: autoRead
        )
    }

    /// The `index`th stream the server opened (0-based), once it exists.
    func source(_ index: Int = 0) async throws -> EventSource {
        try await eventuallyValue("server stream \(index)") {
            let all = sources.current
            return all.count > index ? all[index] : nil
        }
    }
}

/// Starts a server on port 0 that answers EventSource requests with `.eventSource(options:)`,
/// runs `setup` on each stream, and answers anything else `404`; runs `body`; shuts down.
func withLoopback(
    options: EventSourceOptions = EventSourceOptions(),
    setup: @escaping @Sendable (EventSource) -> Void = { _ in },
    responder: FayeHTTPHandler.Responder? = nil,
    _ body: (Loopback) async throws -> Void
) async throws {
    let sources = Locked<[EventSource]>([])
    let responder: FayeHTTPHandler.Responder =
        responder ?? { request in
            guard request.isEventSource else { return ServerResponse(status: 404, text: "Not found\n") }
            return .eventSource(options: options) { source in
                sources.withLock { $0.append(source) }
                setup(source)
            }
        }
    try await withTestServer(responder: responder) { server in
        try await body(Loopback(server: server.server, port: server.port, group: server.group, sources: sources))
    }
}

/// The tick stream of `faye-server`: `tick` events numbered from Last-Event-ID + 1.
@Sendable func tickStream(_ source: EventSource) {
    let first = (Int(source.lastEventId) ?? 0) + 1
    let task = Task {
        var next = first
        while !Task.isCancelled {
            do {
                try await source.send(String(next), event: "tick", id: String(next))
            } catch {
                return
            }
            next += 1
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
    source.onClose { _ in task.cancel() }
}

/// The synchronous `send` (an `async` caller would get the `async` overload).
func sendWithoutWaiting(_ source: EventSource, _ data: String, event: String? = nil, id: String? = nil)
    throws(EventSourceError)
{
    try source.send(data, event: event, id: id)
}
