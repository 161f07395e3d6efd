import Dispatch
import FayeEventSource
import FayeWebSocket
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import PermessageDeflate

/// The embedded server's HTTP/2 path (h2c with prior knowledge): the preface sniffing, header
/// blocks into requests, the extended CONNECT decision, DATA into a WebSocket driver (with
/// permessage-deflate), EventSource streams, stream ends and resets, the body and stream
/// limits. The pipeline is `FayeServer.configure`'s, on a `NIOAsyncTestingChannel`; the
/// responder runs in tasks, which the harness waits for after each delivery.
///
/// Input: two setup bytes, then operations that write client bytes (delivered to the server as
/// one read when an operation delivers, and at the end).
///
/// Byte 0: bits 0–1 the client's preface: 0 with what follows in one read, 1 in a read of its
/// own, 2 cut in two reads (after 1 + byte 1 bits 0–4 mod 23 bytes), 3 only its first byte 1
/// bits 0–4 bytes (at most 24) and no SETTINGS, so the sniffing, the HTTP/1.1 fallback and the
/// selection timeout are reachable (the rest comes from raw operations); bit 2
/// `maxConcurrentStreams` 2 (default 100); bit 3 `maxBodySize` 32 (default 1 MiB); bit 4
/// `allowsWebSockets` off; bit 5 small WebSocket limits (`maxLength` 64, buffered amount mark
/// 256 and limit 1,024, a ping every 10 s with a 5 s pong timeout; default `maxLength` 1 MiB);
/// bit 6 WebSocket subprotocols `chat`, `superchat` and no extension (default
/// permessage-deflate); bit 7 EventSource without `retry`, a ping every 7 s, close timeout 2 s.
///
/// Byte 1: bits 0–4 the preface cut; bit 5 no SETTINGS ACK after the client's SETTINGS (the
/// server's settings, extended CONNECT among them, then never take effect); bit 6 the client's
/// SETTINGS set `SETTINGS_INITIAL_WINDOW_SIZE` to 16 (the server's sends stall on flow control);
/// bit 7 the server logs at `info` (to a handler that drops the lines).
///
/// Operations: a byte whose low 4 bits (mod 11) choose the kind and whose high 4 bits are its
/// flags f. A stream selector byte names a stream: 0xF0 stream 0, 0xF1 stream 2, 0xF2 the next
/// unopened odd stream, 0xF3 2^31 − 1, anything else one of the streams opened so far (stream 1
/// before any).
///
/// - 0 HEADERS on a new stream (f&1: on the selected stream, for trailers or errors): a shape
///   byte (bits 0–2 a template: GET, EventSource GET, extended CONNECT with permessage-deflate,
///   extended CONNECT with subprotocols, POST, plain CONNECT, HEAD, nothing; bits 3–7 the number
///   of edits), then the edits: a byte (bits 0–4 a name from `fieldNames`, 31 a name from the
///   input, length byte & 63 then bytes; bits 5–6 1 set the value of the first field of that
///   name, 2 remove the fields of that name, 0 and 3 add; bit 7 a raw literal, else NIO's
///   encoder, never-indexed when bits 5–6 are 3), then the value (length byte, bytes) unless
///   removing. f&2 END_STREAM, f&4 the block cut into HEADERS and CONTINUATION, f&8 not
///   delivered yet (else delivered, and the responder tasks waited for).
/// - 1 DATA: stream selector, length byte, bytes; f&1 padded (pad length byte), f&2 END_STREAM.
/// - 2 a WebSocket frame as DATA: stream selector, the frame's first byte (FIN, RSV1–3, opcode),
///   payload length byte, payload; f&1 unmasked, f&2 END_STREAM, f&4 16-bit length even when
///   short, f&8 the frame cut over two DATA frames.
/// - 3 RST_STREAM: stream selector, error code byte.
/// - 4 WINDOW_UPDATE: stream selector, 16-bit increment (little endian; f&1 shifted left 15).
/// - 5 SETTINGS: f&1 an ACK; else an entry count byte (& 7), then per entry an identifier byte
///   and a 16-bit value (f&2: 32-bit, big endian).
/// - 6 PING with 8 bytes from the input; f&1 ACK.
/// - 7 f&1 GOAWAY (last stream opened, error code byte), else PRIORITY (stream selector,
///   dependency selector, weight byte; f&2 exclusive).
/// - 8 raw bytes: length byte, bytes.
/// - 9 deliver now and wait for the responders; f&1 then move the virtual clock on by the next
///   byte × 100 ms (f&2: × 1 s), up to 120 s in all per input.
/// - 10 server side: an endpoint byte (a WebSocket or EventSource the responder opened, in
///   order, modulo their count), f&3 the action (close, send, ping, terminate), f&4 a binary
///   message (a WebSocket) or an event with a CRLF (an EventSource).
///
/// At the end the rest is delivered, the connection closed, the responders waited for and the
/// timers left run (an hour of virtual time), and the harness waits until the channel is freed,
/// so that nothing of a run outlives it: what LeakSanitizer finds is the server's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // A connection that does not wind down is a hang in the server (or a deadlock): report it
    // here, with the input, before libFuzzer's own 10 s timeout.
    fuzzCheck(Runner.shared.run(FuzzInput(data, size).bytes), "the connection did not wind down in 9 s")
    return 0
}

/// Runs the sessions, one at a time, in one long-lived task on one event loop, and lets
/// libFuzzer's thread wait for each. A task or an event loop (a dispatch queue) per input would
/// be freed only after the input returned, and libFuzzer looks for leaks (a costly scan) after
/// every input that freed less than it allocated.
private final class Runner: Sendable {
    static let shared = Runner()

    private let inputs: AsyncStream<[UInt8]>.Continuation
    private let finished = DispatchSemaphore(value: 0)

    private init() {
        let (stream, inputs) = AsyncStream.makeStream(of: [UInt8].self)
        self.inputs = inputs
        let finished = self.finished
        let loop = NIOAsyncTestingEventLoop()
        Task {
            for await bytes in stream {
                await Session.run(bytes, on: loop)
                finished.signal()
            }
        }
    }

    /// Runs one input; `false` when it did not finish in 9 s.
    func run(_ bytes: [UInt8]) -> Bool {
        inputs.yield(bytes)
        return finished.wait(timeout: .now() + .seconds(9)) == .success
    }
}

/// Bounds on what one input can make the harness do, so that a run stays within milliseconds.
private enum Limits {
    /// Deliveries and waits for responders; past it, bytes wait for the end.
    static let rounds = 64
    /// Streams opened by HEADERS (past it, HEADERS go to the last one).
    static let streams = 256
    /// Server-side operations.
    static let actions = 32
    /// Virtual time moved on in all.
    static let virtualTime = TimeAmount.seconds(120)
}

/// The setup bytes decoded (see ``fuzzHTTP2(_:_:)``).
private struct Setup {
    enum Preface {
        case withFirstRead
        case ownRead
        case cut(Int)
        case prefixOnly(Int)
    }

    var configuration = FayeServer.Configuration()
    var socketOptions = WebSocketOptions()
    var sourceOptions = EventSourceOptions()
    var preface: Preface
    var acknowledgesSettings: Bool
    var smallClientWindow: Bool
    var logsInfo: Bool

    init(_ first: UInt8, _ second: UInt8) {
        let cut = Int(second & 0x1F)
        switch first & 3 {
        case 0: preface = .withFirstRead
        case 1: preface = .ownRead
        case 2: preface = .cut(1 + cut % 23)
        default: preface = .prefixOnly(min(cut, 24))
        }
        configuration.http2.acceptsPriorKnowledge = true
        if first & 0x04 != 0 { configuration.http2.maxConcurrentStreams = 2 }
        if first & 0x08 != 0 { configuration.maxBodySize = 32 }
        if first & 0x10 != 0 { configuration.http2.allowsWebSockets = false }
        socketOptions.maxLength = 1 << 20
        if first & 0x20 != 0 {
            socketOptions.maxLength = 64
            socketOptions.bufferedAmountHighWaterMark = 256
            socketOptions.maxBufferedAmount = 1024
            socketOptions.pingInterval = .seconds(10)
            socketOptions.pongTimeout = .seconds(5)
        }
        if first & 0x40 != 0 {
            socketOptions.protocols = ["chat", "superchat"]
        } else {
            socketOptions.extensions = [PermessageDeflate()]
        }
        if first & 0x80 != 0 {
            sourceOptions.retry = nil
            sourceOptions.pingInterval = .seconds(7)
            sourceOptions.closeTimeout = .seconds(2)
        }
        acknowledgesSettings = second & 0x20 == 0
        smallClientWindow = second & 0x40 != 0
        logsInfo = second & 0x80 != 0
    }
}

/// Field names an edit can use by number (31: a name from the input).
private let fieldNames = [
    ":method", ":scheme", ":path", ":authority", ":protocol", ":status",
    "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", "sec-websocket-key",
    "accept", "last-event-id", "cookie", "origin", "content-length", "content-type",
    "host", "upgrade", "connection", "te", "transfer-encoding", "user-agent",
    "cache-control", "accept-encoding", "x-forwarded-for", "authorization", "Sec-WebSocket-Version",
    ":unknown", "", "priority", "content-encoding",
]

/// The header block templates (see the HEADERS operation).
private func template(_ number: UInt8) -> [HeaderField] {
    let authority = HeaderField(":authority", "example.com")
    switch number {
    case 0:
        return [HeaderField(":method", "GET"), HeaderField(":scheme", "http"), HeaderField(":path", "/"), authority]
    case 1:
        return [
            HeaderField(":method", "GET"), HeaderField(":scheme", "http"), HeaderField(":path", "/events"), authority,
            HeaderField("accept", "text/event-stream"),
        ]
    case 2:
        return [
            HeaderField(":method", "CONNECT"), HeaderField(":protocol", "websocket"), HeaderField(":scheme", "http"),
            HeaderField(":path", "/chat"), authority, HeaderField("sec-websocket-version", "13"),
            HeaderField("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
        ]
    case 3:
        return [
            HeaderField(":method", "CONNECT"), HeaderField(":protocol", "websocket"), HeaderField(":scheme", "http"),
            HeaderField(":path", "/chat"), authority, HeaderField("sec-websocket-version", "13"),
            HeaderField("sec-websocket-protocol", "superchat, chat"), HeaderField("origin", "http://example.com"),
        ]
    case 4:
        return [
            HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", "/upload"), authority,
            HeaderField("content-type", "text/plain"),
        ]
    case 5:
        return [HeaderField(":method", "CONNECT"), HeaderField(":authority", "example.com:443")]
    case 6:
        return [HeaderField(":method", "HEAD"), HeaderField(":scheme", "http"), HeaderField(":path", "/"), authority]
    default:
        return []
    }
}

/// One input's connection: the server's pipeline on a testing channel, and the client's bytes.
private final class Session {
    private var input: FuzzInput
    private let channel: NIOAsyncTestingChannel
    private let application: Application
    private var client = ClientBytes()
    /// Streams opened by HEADERS, in order.
    private var opened: [UInt32] = []
    private var nextStream: UInt32 = 1
    private var rounds = 0
    private var actions = 0
    private var timeMoved = TimeAmount.zero

    private var loop: NIOAsyncTestingEventLoop { channel.testingEventLoop }

    private init(input: FuzzInput, channel: NIOAsyncTestingChannel, application: Application) {
        self.input = input
        self.channel = channel
        self.application = application
    }

    /// Runs one input on `loop`, then waits (a little) until its channel is freed and the loop
    /// has let go of its last work item: then nothing of the run is left, and the run frees all
    /// it allocated (libFuzzer looks for leaks, a costly scan, after every input that does not).
    static func run(_ bytes: [UInt8], on loop: NIOAsyncTestingEventLoop) async {
        weak let channel = await runConnection(bytes, on: loop)
        // What can still hold the channel is the loop's queue finishing its last item, or a
        // responder task completing its promise late. A channel kept by a cycle is a leak, which
        // LeakSanitizer reports: the wait is bounded.
        await settle(until: { channel == nil })
        // Its end completes its close promise on the loop; a last item, whose release is
        // observed, makes sure that ran and was freed.
        let released = ReleaseFlag()
        do {
            let token = ReleaseToken(released)
            _ = try? await loop.executeInContext { withExtendedLifetime(token) {} }
        }
        await settle(until: { released.isSet })
    }

    /// Yields until `done` holds (first briefly, then sleeping), for at most about 100 ms.
    private static func settle(until done: () -> Bool) async {
        var polls = 0
        while !done() && polls < 1100 {
            if polls < 100 {
                await Task.yield()
            } else {
                try? await Task.sleep(for: .microseconds(100))
            }
            polls += 1
        }
    }

    private static func runConnection(_ bytes: [UInt8], on loop: NIOAsyncTestingEventLoop) async
        -> NIOAsyncTestingChannel
    {
        var input = FuzzInput(bytes)
        let setup = Setup(input.byte(), input.byte())
        let application = Application(socketOptions: setup.socketOptions, sourceOptions: setup.sourceOptions)
        let channel = NIOAsyncTestingChannel(loop: loop)
        var logger = Logger(label: "fuzz.http2") { _ in DroppingLogHandler() }
        logger.logLevel = setup.logsInfo ? .info : .warning
        let configuration = setup.configuration
        let responder = application.responder
        do {
            try await channel.testingEventLoop.executeInContext { [logger] in
                try channel.pipeline.syncOperations.addHandler(DiscardingTransport())
                try FayeServer.configure(
                    channel, configuration: configuration, tls: nil, responder: responder, logger: logger)
            }
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        } catch {
            fuzzCheck(false, "the server pipeline could not be built: \(error)")
        }
        let session = Session(input: input, channel: channel, application: application)
        session.start(setup)
        await session.runOperations()
        await session.finish()
        return channel
    }

    // MARK: - Delivery

    /// Hands `bytes` to the server as one read. The loop runs it at once, and everything it
    /// made due, before anything asked of it later.
    private func deliver(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let channel = self.channel
        let buffer = ByteBuffer(bytes: bytes)
        loop.execute {
            // Errors no handler took end at the tail of the pipeline; the server closes on its own.
            guard channel.isActive else { return }
            channel.pipeline.fireChannelRead(buffer)
            channel.pipeline.fireChannelReadComplete()
        }
    }

    /// Delivers what the client wrote, then waits for the responder calls it caused and runs
    /// their results on the event loop (until no further call starts). At most `Limits.rounds`
    /// times per input, unless `always`.
    private func deliverAndSettle(always: Bool = false) async {
        guard always || rounds < Limits.rounds else { return }
        rounds += 1
        deliver(client.take())
        await settleResponders()
    }

    /// Waits for the responder calls under way and runs their results on the event loop, until
    /// no further call starts. (A task completes its promise just after the call returns; the
    /// loop runs that completion whenever it arrives, so a late one only comes later.)
    private func settleResponders() async {
        await loop.run()
        var calls = application.calls
        for _ in 0..<4 {
            await application.idle()
            await loop.run()
            let now = application.calls
            if now == calls { return }
            calls = now
        }
    }

    // MARK: - The preface

    private func start(_ setup: Setup) {
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        switch setup.preface {
        case .withFirstRead:
            client.raw(preface)
        case .ownRead:
            deliver(preface)
        case .cut(let cut):
            deliver(Array(preface[..<cut]))
            client.raw(Array(preface[cut...]))
        case .prefixOnly(let count):
            deliver(Array(preface[..<count]))
            return
        }
        // SETTINGS_INITIAL_WINDOW_SIZE (0x4) = 16.
        let settings: [UInt8] = setup.smallClientWindow ? [0x00, 0x04, 0x00, 0x00, 0x00, 0x10] : []
        client.frame(.settings, stream: 0, payload: settings)
        if setup.acknowledgesSettings { client.frame(.settings, flags: FrameFlag.ack, stream: 0) }
    }

    // MARK: - Operations

    private func runOperations() async {
        while !input.isAtEnd {
            let operation = input.byte()
            let flags = operation >> 4
            switch (operation & 0x0F) % 11 {
            case 0: await headers(flags)
            case 1: data(flags)
            case 2: webSocketFrame(flags)
            case 3:
                let stream = self.stream(input.byte())
                client.frame(.rstStream, stream: stream, payload: bigEndian(UInt32(input.byte())))
            case 4:
                let stream = self.stream(input.byte())
                let increment = UInt32(input.uint16()) << (flags & 1 != 0 ? 15 : 0)
                client.frame(.windowUpdate, stream: stream, payload: bigEndian(increment))
            case 5: settings(flags)
            case 6:
                let payload = input.take(8)
                client.frame(
                    .ping, flags: flags & 1 != 0 ? FrameFlag.ack : 0, stream: 0,
                    payload: payload + [UInt8](repeating: 0, count: 8 - payload.count))
            case 7: goAwayOrPriority(flags)
            case 8: client.raw(input.take(Int(input.byte())))
            case 9: await deliverAndMoveClock(flags)
            default: await serverAction(flags)
            }
        }
    }

    /// The stream a selector byte names (see ``fuzzHTTP2(_:_:)``).
    private func stream(_ selector: UInt8) -> UInt32 {
        switch selector {
        case 0xF0: return 0
        case 0xF1: return 2
        case 0xF2: return nextStream
        case 0xF3: return 0x7FFF_FFFF
        default: return opened.isEmpty ? 1 : opened[Int(selector) % opened.count]
        }
    }

    private func headers(_ flags: UInt8) async {
        let stream: UInt32
        if flags & 1 != 0 {
            stream = self.stream(input.byte())
        } else if opened.count < Limits.streams {
            stream = nextStream
            opened.append(stream)
            nextStream += 2
        } else {
            stream = opened[opened.count - 1]
        }
        let shape = input.byte()
        var fields = template(shape & 7)
        for _ in 0..<(shape >> 3) { edit(&fields) }
        let block = client.headerBlock(fields)
        let endStream = flags & 2 != 0 ? FrameFlag.endStream : 0
        if flags & 4 != 0 && block.count > 1 {
            let cut = block.count / 2
            client.frame(.headers, flags: endStream, stream: stream, payload: Array(block[..<cut]))
            client.frame(.continuation, flags: FrameFlag.endHeaders, stream: stream, payload: Array(block[cut...]))
        } else {
            client.frame(.headers, flags: endStream | FrameFlag.endHeaders, stream: stream, payload: block)
        }
        if flags & 8 == 0 { await deliverAndSettle() }
    }

    /// One edit of a header block (see the HEADERS operation).
    private func edit(_ fields: inout [HeaderField]) {
        let spec = input.byte()
        let nameIndex = Int(spec & 0x1F)
        let name = nameIndex < fieldNames.count ? Array(fieldNames[nameIndex].utf8) : input.take(Int(input.byte() & 0x3F))
        let action = (spec >> 5) & 3
        if action == 2 {
            fields.removeAll { $0.name == name }
            return
        }
        let representation: HeaderField.Representation =
            spec & 0x80 != 0 ? .literal : (action == 3 ? .neverIndexed : .indexed)
        let value = input.take(Int(input.byte()))
        if action == 1, let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].value = value
            fields[index].representation = representation
        } else {
            fields.append(HeaderField(name: name, value: value, representation: representation))
        }
    }

    private func data(_ flags: UInt8) {
        let stream = self.stream(input.byte())
        var payload = input.take(Int(input.byte()))
        var frameFlags = flags & 2 != 0 ? FrameFlag.endStream : 0
        if flags & 1 != 0 {
            let padding = input.byte()
            frameFlags |= FrameFlag.padded
            payload = [padding] + payload + [UInt8](repeating: 0, count: Int(padding))
        }
        client.frame(.data, flags: frameFlags, stream: stream, payload: payload)
    }

    private func webSocketFrame(_ flags: UInt8) {
        let stream = self.stream(input.byte())
        let first = input.byte()
        let payload = input.take(Int(input.byte()))
        let frame = makeWebSocketFrame(first: first, payload: payload, masked: flags & 1 == 0, longForm: flags & 4 != 0)
        let endStream = flags & 2 != 0 ? FrameFlag.endStream : 0
        if flags & 8 != 0 {
            let cut = frame.count / 2
            client.frame(.data, stream: stream, payload: Array(frame[..<cut]))
            client.frame(.data, flags: endStream, stream: stream, payload: Array(frame[cut...]))
        } else {
            client.frame(.data, flags: endStream, stream: stream, payload: frame)
        }
    }

    private func settings(_ flags: UInt8) {
        guard flags & 1 == 0 else {
            client.frame(.settings, flags: FrameFlag.ack, stream: 0)
            return
        }
        var payload: [UInt8] = []
        for _ in 0..<(input.byte() & 7) {
            payload += bigEndian(UInt16(input.byte()))
            if flags & 2 != 0 {
                let value = input.take(4)
                payload += value + [UInt8](repeating: 0, count: 4 - value.count)
            } else {
                payload += bigEndian(UInt32(input.uint16()))
            }
        }
        client.frame(.settings, stream: 0, payload: payload)
    }

    private func goAwayOrPriority(_ flags: UInt8) {
        if flags & 1 != 0 {
            let last = opened.last ?? 0
            client.frame(.goAway, stream: 0, payload: bigEndian(last) + bigEndian(UInt32(input.byte())))
        } else {
            let stream = self.stream(input.byte())
            let dependency = self.stream(input.byte()) | (flags & 2 != 0 ? 0x8000_0000 : 0)
            client.frame(.priority, stream: stream, payload: bigEndian(dependency) + [input.byte()])
        }
    }

    private func deliverAndMoveClock(_ flags: UInt8) async {
        await deliverAndSettle()
        guard flags & 1 != 0 else { return }
        let step: Int64 = flags & 2 != 0 ? 1_000_000_000 : 100_000_000
        let wanted = TimeAmount.nanoseconds(step * Int64(input.byte()))
        let amount = min(wanted, Limits.virtualTime - timeMoved)
        guard amount > .zero, rounds < Limits.rounds else { return }
        timeMoved = timeMoved + amount
        await loop.advanceTime(by: amount)
        await deliverAndSettle()
    }

    private func serverAction(_ flags: UInt8) async {
        let index = Int(input.byte())
        guard actions < Limits.actions, rounds < Limits.rounds, let endpoint = application.endpoint(index),
            let action = Application.Action(rawValue: flags & 3)
        else { return }
        actions += 1
        // What the client wrote before comes first.
        deliver(client.take())
        let binary = flags & 4 != 0
        _ = try? await loop.executeInContext { Application.perform(action, on: endpoint, binary: binary) }
        await deliverAndSettle()
    }

    // MARK: - The end

    /// Delivers the rest, closes the connection, waits for every responder call and lets the
    /// timers that outlive the connection fire, so that the run leaves nothing behind.
    ///
    /// The event loop is not shut down: a responder's task completes its promise just after the
    /// call returns, and on a loop already shut down that completion would be dropped, leaving
    /// the handler's callbacks (and the pipeline they hold) unreleased. On a loop still open it
    /// runs whenever it arrives and finds the stream closed.
    private func finish() async {
        await deliverAndSettle(always: true)
        try? await channel.close()
        await settleResponders()
        // A closing handshake's or a stream's timer, a ping: all must end with the connection.
        await loop.advanceTime(by: .hours(1))
        application.forgetEndpoints()
    }
}
