import NIOCore
import NIOEmbedded
import NIOWebSocket
import WebSocketDriver

/// `faye-bench parse`: one large buffer of frames fed in 64 KiB chunks to our driver and to
/// NIO's `WebSocketFrameDecoder` (with each frame's data unmasked, as a handler must).
struct ParseBench {
    let settings: BenchSettings

    static let sizes = [16, 1024, 64 * 1024, 1024 * 1024]
    static let chunkSize = 64 * 1024
    /// The driver's limit for whole text messages made straight into a `String` without a byte
    /// array (`IncomingMessage.directTextLimit`, internal to the driver).
    static let directTextLimit = 1024

    /// One parse case.
    struct Case {
        var text: Bool
        var size: Int
        var fragments: Int = 1
        var client: Bool = false
        /// Text that is JSON records (``Payloads/json(count:seed:)``) instead of prose.
        var json: Bool = false
        /// Messages lent to `Driver.onMessageView` instead of delivered as owned
        /// `WebSocketMessage`s (a `String` or an array each).
        var lent: Bool = false

        var name: String {
            var name = "\(text ? "text" : "binary") \(Size.label(size))"
            if json { name += " json" }
            if fragments > 1 { name += " fragmented" }
            if client { name += " client" }
            if lent { name += " lent" }
            return name
        }
    }

    static var cases: [Case] {
        var cases = sizes.map { Case(text: false, size: $0) }
        cases += sizes.map { Case(text: true, size: $0) }
        cases += sizes.map { Case(text: true, size: $0, json: true) }
        cases += sizes.dropFirst().map { Case(text: false, size: $0, fragments: 4) }
        cases += sizes.map { Case(text: false, size: $0, client: true) }
        cases += [16, 1024].flatMap {
            [Case(text: false, size: $0, lent: true), Case(text: true, size: $0, lent: true)]
        }
        return cases
    }

    func run(into report: Report) {
        for item in Self.cases where settings.includes(item.name) {
            let result = measure(item)
            let frameUnit = item.fragments > 1 ? "msgs/s" : "frames/s"
            let reference = "NIO WebSocketFrameDecoder" + (item.fragments > 1 ? " + aggregator" : "")
            report.add(
                BenchRow(
                    bench: "parse", name: item.name, ours: result.ours * Double(result.messages),
                    reference: result.reference * Double(result.messages), unit: frameUnit, higherIsBetter: true,
                    referenceName: reference))
            let gigabytes = Double(result.messages * item.size) / 1e9
            report.add(
                BenchRow(
                    bench: "parse", name: item.name, ours: result.ours * gigabytes,
                    reference: result.reference * gigabytes, unit: "GB/s", higherIsBetter: true,
                    referenceName: reference))
        }
        for json in [false, true] {
            for size in Self.sizes {
                let item = Case(text: true, size: size, json: json)
                guard settings.includes(item.name) else { continue }
                measureTextShare(item, into: report)
            }
        }
    }

    /// A `String` of bytes known to be valid UTF-8, made the way the driver makes one.
    private static func unvalidatedString(_ bytes: [UInt8]) -> String {
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            return String(copying: UTF8Span(unchecked: bytes.span, isKnownASCII: false))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Text against binary through our own parser, measured alternately so that the share does
    /// not depend on how busy the machine was when each case ran on its own (the `text` table),
    /// and the one step text needs beyond binary that no parser can avoid while it delivers a
    /// `String`: copying validated bytes into the string's storage (the standard library has no
    /// public way to adopt a buffer, or to fill a string's storage, without validating the bytes
    /// again), likewise alternated with the binary parse (the `limit` table). The copy bounds
    /// the share: text ≤ copy ÷ (copy + binary) of the binary rate, even with validation free.
    private func measureTextShare(_ item: Case, into report: Report) {
        let size = item.size
        let binary = ourPass(Case(text: false, size: size))
        let text = ourPass(item)
        let payload = Self.payload(item)
        let copiesPerPass = max(1, (settings.quick ? 256 * 1024 : 8 * 1024 * 1024) / size)
        var delivered = 0
        let copy = {
            for _ in 0..<copiesPerPass {
                delivered &+= Self.unvalidatedString(payload).utf8.count
            }
        }
        let binaryRate = {
            Measure.rate(minimumSeconds: settings.minimumSeconds) {
                binary.feed()
                return binary.bytes
            }
        }
        let shares = Measure.alternating(
            repetitions: settings.repetitions,
            ours: {
                Measure.rate(minimumSeconds: settings.minimumSeconds) {
                    text.feed()
                    return text.bytes
                }
            },
            reference: binaryRate)
        let limits = Measure.alternating(
            repetitions: settings.repetitions,
            ours: {
                Measure.rate(minimumSeconds: settings.minimumSeconds) {
                    copy()
                    return Double(copiesPerPass * size)
                }
            },
            reference: binaryRate)
        guard delivered > 0 else { fatalError("no string was made") }
        report.add(
            BenchRow(
                bench: "text", name: item.name, ours: shares.ours / 1e9,
                reference: shares.reference / 1e9, unit: "GB/s", higherIsBetter: true,
                referenceName: "our binary parse"))
        report.add(
            BenchRow(
                bench: "limit", name: "\(item.name) String copy", ours: limits.ours / 1e9,
                reference: limits.reference / 1e9, unit: "GB/s", higherIsBetter: true,
                referenceName: "our binary parse"))
    }

    /// The frames of a case: one buffer of about 8 MiB (256 KiB with `--quick`), and the
    /// messages in it.
    private func frames(_ item: Case) -> (bytes: [UInt8], messages: Int) {
        let payload = Self.payload(item)
        return WireFrames.stream(
            payload: payload, opcode: item.text ? 1 : 2, fragments: item.fragments, masked: !item.client,
            totalBytes: settings.quick ? 256 * 1024 : 8 * 1024 * 1024)
    }

    /// The payload of every message of a case.
    private static func payload(_ item: Case) -> [UInt8] {
        guard item.text else { return Payloads.random(count: item.size) }
        return item.json ? Payloads.json(count: item.size) : Payloads.text(count: item.size)
    }

    /// One pass of our parser over a case's frames, and the payload bytes it delivers.
    private func ourPass(_ item: Case, over stream: (bytes: [UInt8], messages: Int)? = nil) -> (
        feed: () -> Void, bytes: Double
    ) {
        let stream = stream ?? frames(item)
        let parser = OurParser(client: item.client, lent: item.lent)
        let expectedBytes = stream.messages * item.size
        return ({ parser.feed(stream.bytes, expecting: stream.messages, bytes: expectedBytes) }, Double(expectedBytes))
    }

    /// Passes per CPU second for both sides, and the messages in one pass.
    private func measure(_ item: Case) -> (ours: Double, reference: Double, messages: Int) {
        let stream = frames(item)
        let ours = ourPass(item, over: stream)
        let theirs = NIOParser(text: item.text, aggregate: item.fragments > 1)
        let buffer = ByteBuffer(bytes: stream.bytes)
        let expectedBytes = stream.messages * item.size
        let rates = Measure.alternating(
            repetitions: settings.repetitions,
            ours: {
                Measure.rate(minimumSeconds: settings.minimumSeconds) {
                    ours.feed()
                    return 1
                }
            },
            reference: {
                Measure.rate(minimumSeconds: settings.minimumSeconds) {
                    theirs.feed(buffer, expecting: stream.messages, bytes: expectedBytes)
                    return 1
                }
            })
        return (rates.ours, rates.reference, stream.messages)
    }
}

/// Counts what a parser delivered, so that a pass that went wrong stops the benchmark.
final class DeliveryCounter {
    var messages = 0
    var bytes = 0

    func check(expecting messages: Int, bytes: Int, who: String) {
        guard self.messages == messages, self.bytes == bytes else {
            fatalError(
                "\(who) delivered \(self.messages) messages of \(self.bytes) bytes, expected \(messages) of \(bytes)")
        }
        self.messages = 0
        self.bytes = 0
    }
}

/// Our driver, opened by a handshake, fed 64 KiB slices of the stream.
final class OurParser {
    let driver: Driver
    let counter = DeliveryCounter()

    init(client: Bool, lent: Bool = false) {
        let counter = self.counter
        if client {
            var request: [UInt8] = []
            let driver: Driver
            do {
                driver = try Driver.client(url: "ws://127.0.0.1/bench") { request.append(contentsOf: $0) }
            } catch {
                fatalError("client driver: \(error)")
            }
            driver.start()
            guard let response = WireFrames.serverResponse(answering: request) else {
                fatalError("the client driver sent no key")
            }
            self.driver = driver
            driver.parse(response)
        } else {
            driver = Driver.server { _ in }
            driver.start()
            driver.parse(WireFrames.clientRequest())
        }
        guard driver.readyState == .open else { fatalError("the driver did not open") }
        if lent {
            driver.onMessageView = { _, bytes in
                counter.bytes += bytes.byteCount
                counter.messages += 1
            }
        }
        driver.onMessage = { message in
            switch message {
            case .binary(let bytes): counter.bytes += bytes.count
            case .text(let text): counter.bytes += text.utf8.count
            }
            counter.messages += 1
        }
        driver.onClose = { event in fatalError("the driver closed: \(event.code) \(event.reason)") }
    }

    func feed(_ stream: [UInt8], expecting messages: Int, bytes: Int) {
        stream.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + ParseBench.chunkSize, all.count)
                driver.parse(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        counter.check(expecting: messages, bytes: bytes, who: "swift-faye")
    }
}

/// NIO's decoder in an embedded channel, followed by a handler that takes each frame's
/// unmasked data (as a `String` for text).
final class NIOParser {
    let channel: EmbeddedChannel
    let sink: NIOFrameSink

    init(text: Bool, aggregate: Bool) {
        sink = NIOFrameSink(text: text)
        var handlers: [any ChannelHandler] = [ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 21))]
        if aggregate {
            handlers.append(
                NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 1 << 22))
        }
        handlers.append(sink)
        channel = EmbeddedChannel(handlers: handlers)
    }

    func feed(_ stream: ByteBuffer, expecting messages: Int, bytes: Int) {
        var offset = 0
        let count = stream.readableBytes
        while offset < count {
            let length = min(ParseBench.chunkSize, count - offset)
            guard let slice = stream.getSlice(at: stream.readerIndex + offset, length: length) else { return }
            do {
                try channel.writeInbound(slice)
            } catch {
                fatalError("NIO decoder: \(error)")
            }
            offset += length
        }
        sink.counter.check(expecting: messages, bytes: bytes, who: "NIO")
    }
}

/// Takes each decoded frame's unmasked data.
final class NIOFrameSink: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let text: Bool
    let counter = DeliveryCounter()

    init(text: Bool) {
        self.text = text
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let payload = frame.unmaskedData
        if text {
            let string = String(buffer: payload)
            counter.bytes += string.utf8.count
        } else {
            counter.bytes += payload.readableBytes
        }
        counter.messages += 1
    }
}
