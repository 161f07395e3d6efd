import FayeTestSupport
import WebSocketExtensions

@testable import WebSocketDriver

/// Records what a driver writes and emits, for byte-level tests.
final class DriverHarness {
    enum Event: Equatable, CustomStringConvertible {
        case connect(String)
        case open
        case message(WebSocketMessage)
        case error(String)
        case close(UInt16, String)
        case ping([UInt8])
        case pong([UInt8])

        var description: String {
            switch self {
            case .connect(let target): return "connect(\(target))"
            case .open: return "open"
            case .message(.text(let text)): return "text(\(text.debugDescription))"
            case .message(.binary(let bytes)): return "binary(\(bytes.count) bytes)"
            case .error(let message): return "error(\(message))"
            case .close(let code, let reason): return "close(\(code), \(reason.debugDescription))"
            case .ping(let bytes): return "ping(\(bytes))"
            case .pong(let bytes): return "pong(\(bytes))"
            }
        }
    }

    var written: [UInt8] = []
    var writes: [[UInt8]] = []
    var events: [Event] = []
    var errors: [ProtocolError] = []
    private(set) var driver: Driver!

    init(_ make: (@escaping Driver.Output) throws -> Driver) rethrows {
        let sink: Driver.Output = { [unowned self] bytes in
            self.written.append(contentsOf: bytes)
            self.writes.append(Array(bytes))
        }
        driver = try make(sink)
        driver.onConnect = { [unowned self] request in self.events.append(.connect(request.target)) }
        driver.onOpen = { [unowned self] in self.events.append(.open) }
        driver.onMessage = { [unowned self] message in self.events.append(.message(message)) }
        driver.onError = { [unowned self] error in
            self.errors.append(error)
            self.events.append(.error(error.description))
        }
        driver.onClose = { [unowned self] event in self.events.append(.close(event.code.rawValue, event.reason)) }
        driver.onPing = { [unowned self] payload in self.events.append(.ping(payload)) }
        driver.onPong = { [unowned self] payload in self.events.append(.pong(payload)) }
    }

    /// Everything written so far, as text (for HTTP heads).
    var writtenText: String { String(decoding: written, as: UTF8.self) }

    /// Takes and clears what was written.
    func takeWritten() -> [UInt8] {
        defer {
            written = []
            writes = []
        }
        return written
    }

    /// Takes and clears the events.
    func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }

    func parse(_ bytes: [UInt8]) { driver.parse(bytes) }
    func parse(_ text: String) { driver.parse(Array(text.utf8)) }
}

/// Byte helpers.
enum Bytes {
    static func hex(_ text: String) -> [UInt8] {
        let digits = text.split(separator: " ").flatMap { chunk -> [Substring] in
            var parts: [Substring] = []
            var rest = chunk[...]
            while !rest.isEmpty {
                parts.append(rest.prefix(2))
                rest = rest.dropFirst(2)
            }
            return parts
        }
        return digits.compactMap { UInt8($0, radix: 16) }
    }

    /// A client frame, masked with `key`.
    static func masked(_ first: UInt8, _ payload: [UInt8], key: [UInt8] = [0x01, 0x02, 0x03, 0x04]) -> [UInt8] {
        var frame: [UInt8] = [first]
        let count = payload.count
        if count <= 125 {
            frame.append(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            frame.append(0x80 | 126)
            frame.append(UInt8(count >> 8))
            frame.append(UInt8(count & 0xFF))
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8((UInt64(count) >> UInt64(shift)) & 0xFF))
            }
        }
        frame.append(contentsOf: key)
        for (index, byte) in payload.enumerated() { frame.append(byte ^ key[index % 4]) }
        return frame
    }

    /// A server frame (unmasked).
    static func unmasked(_ first: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [first]
        let count = payload.count
        if count <= 125 {
            frame.append(UInt8(count))
        } else if count <= 0xFFFF {
            frame.append(126)
            frame.append(UInt8(count >> 8))
            frame.append(UInt8(count & 0xFF))
        } else {
            frame.append(127)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8((UInt64(count) >> UInt64(shift)) & 0xFF))
            }
        }
        frame.append(contentsOf: payload)
        return frame
    }
}

/// RFC 6455 §1.3's sample handshake request.
let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

func upgradeRequest(
    target: String = "/chat",
    extraHeaders: [String] = [],
    key: String = sampleKey,
    version: String? = "13"
) -> String {
    var text = "GET \(target) HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    text += "Sec-WebSocket-Key: \(key)\r\n"
    if let version { text += "Sec-WebSocket-Version: \(version)\r\n" }
    for header in extraHeaders { text += header + "\r\n" }
    return text + "\r\n"
}

// MARK: - Ready-made drivers

extension DriverHarness {
    /// A `Driver.server` that has read ``upgradeRequest(target:extraHeaders:key:version:)`` and
    /// opened; what it wrote and emitted is cleared.
    static func openServer(
        options: DriverOptions = DriverOptions(),
        extraHeaders: [String] = []
    ) -> DriverHarness {
        let harness = DriverHarness { Driver.server(options: options, output: $0) }
        harness.driver.start()
        harness.parse(upgradeRequest(extraHeaders: extraHeaders))
        precondition(harness.driver.readyState == .open, "server did not open: \(harness.events)")
        _ = harness.takeWritten()
        _ = harness.takeEvents()
        return harness
    }

    /// A client driver for `url` that has sent its request and read a valid 101 response; what
    /// it wrote and emitted is cleared.
    static func openClient(
        url: String = "ws://www.example.com/socket",
        options: DriverOptions = DriverOptions(),
        responseHeaders: [String] = []
    ) throws -> DriverHarness {
        let harness = try DriverHarness { try Driver.client(url: url, options: options, output: $0) }
        harness.driver.start()
        harness.parse(harness.handshakeResponse(extraHeaders: responseHeaders))
        precondition(harness.driver.readyState == .open, "client did not open: \(harness.events)")
        _ = harness.takeWritten()
        _ = harness.takeEvents()
        return harness
    }

    /// The value of the `Sec-WebSocket-Key` a client wrote.
    var requestKey: String? {
        for line in writtenText.split(separator: "\r\n") where line.hasPrefix("Sec-WebSocket-Key: ") {
            return String(line.dropFirst("Sec-WebSocket-Key: ".count))
        }
        return nil
    }

    /// A valid 101 response to the request this client wrote.
    func handshakeResponse(extraHeaders: [String] = []) -> String {
        var text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Accept: \(Driver.acceptValue(forKey: requestKey ?? ""))\r\n"
        for header in extraHeaders { text += header + "\r\n" }
        return text + "\r\n"
    }

    /// The events, without the given kinds (for tests that look at part of the story).
    var messages: [WebSocketMessage] {
        events.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }
}

extension Bytes {
    static func text(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Lower-case hex with spaces, for readable failures.
    static func describe(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }
}

// MARK: - A client and a server talking in memory

/// A client driver and a `Driver.server` connected back to back; ``pump(_:)`` carries the bytes
/// each wrote to the other, cut into chunks.
final class Loopback {
    let client: DriverHarness
    let server: DriverHarness
    var random: SplitMix64
    /// The largest chunk delivered at once (1: byte by byte; `Int.max`: whole writes).
    var maxChunk: Int

    init(
        url: String = "ws://localhost:9000/chat",
        clientOptions: DriverOptions = DriverOptions(),
        serverOptions: DriverOptions = DriverOptions(),
        seed: UInt64 = 1,
        maxChunk: Int = .max
    ) throws {
        client = try DriverHarness { try Driver.client(url: url, options: clientOptions, output: $0) }
        server = DriverHarness { Driver.server(options: serverOptions, output: $0) }
        random = SplitMix64(seed: seed)
        self.maxChunk = maxChunk
        server.driver.onConnect = { [unowned server] request in
            server.events.append(.connect(request.target))
            server.driver.start()
        }
    }

    /// Starts the client and exchanges bytes until both sides are quiet.
    func open() {
        client.driver.start()
        pump()
    }

    /// Delivers what each side wrote to the other until neither writes anything more.
    func pump() {
        while !client.written.isEmpty || !server.written.isEmpty {
            deliver(client.takeWritten(), to: server)
            deliver(server.takeWritten(), to: client)
        }
    }

    private func deliver(_ bytes: [UInt8], to harness: DriverHarness) {
        if maxChunk == .max {
            if !bytes.isEmpty { harness.parse(bytes) }
            return
        }
        for chunk in random.chunks(bytes, maxChunk: maxChunk) { harness.parse(chunk) }
    }
}

// MARK: - A test extension

/// Records what test extension sessions did, across connections.
final class ExtensionLog: @unchecked Sendable {
    var entries: [String] = []
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

/// A per-message extension for driver tests. Outgoing messages are reversed and marked with its
/// reserved bits; incoming marked messages are reversed back, except:
/// - `boom` fails (1010);
/// - `repeat:N:c` becomes N copies of `c`, refused with ``ExtensionMessageTooLarge`` beyond the
///   driver's limit (an "inflation"); `grow:N:c` does the same without checking the limit.
struct TestExtension: WebSocketExtension {
    var name = "x-test"
    var reservedBits: ReservedBits = .rsv1
    /// What a client offers, and what a server answers.
    var parameters: ExtensionParameters = []
    let log: ExtensionLog

    init(name: String = "x-test", reservedBits: ReservedBits = .rsv1, log: ExtensionLog = ExtensionLog()) {
        self.name = name
        self.reservedBits = reservedBits
        self.log = log
    }

    func makeClientSession() -> (any ClientExtensionSession)? {
        TestSession(name: name, bits: reservedBits, parameters: parameters, log: log)
    }

    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        guard let first = offers.first, !first.contains("decline") else { return nil }
        return TestSession(name: name, bits: reservedBits, parameters: parameters, log: log)
    }
}

final class TestSession: ClientExtensionSession, ServerExtensionSession {
    let name: String
    let bits: ReservedBits
    let parameters: ExtensionParameters
    let log: ExtensionLog

    init(name: String, bits: ReservedBits, parameters: ExtensionParameters, log: ExtensionLog) {
        self.name = name
        self.bits = bits
        self.parameters = parameters
        self.log = log
    }

    func generateOffer() -> [ExtensionParameters] { [parameters] }
    func generateResponse() -> ExtensionParameters { parameters }

    func activate(_ parameters: ExtensionParameters) throws {
        if parameters.contains("bad") { throw TestFailure(description: "bad parameter") }
        log.entries.append("\(name) activate")
    }

    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message {
        guard message.reservedBits.isSuperset(of: bits), !bits.isEmpty else { return message }
        var result = message
        let text = String(decoding: message.payload.reversed(), as: UTF8.self)
        if text == "boom" { throw TestFailure(description: "boom") }
        let parts = text.split(separator: ":")
        if parts.count == 3, parts[0] == "repeat" || parts[0] == "grow", let count = Int(parts[1]),
            let byte = parts[2].utf8.first
        {
            // `grow` ignores the limit, as a careless extension would.
            if parts[0] == "repeat" && count > maxLength { throw ExtensionMessageTooLarge(limit: maxLength) }
            result.payload = [UInt8](repeating: byte, count: count)
        } else {
            result.payload = Array(message.payload.reversed())
        }
        result.reservedBits.subtract(bits)
        log.entries.append("\(name) in")
        return result
    }

    func processOutgoingMessage(_ message: Message) throws -> Message {
        if message.payload == Array("boom".utf8) { throw TestFailure(description: "cannot send boom") }
        var result = message
        result.payload = Array(message.payload.reversed())
        result.reservedBits.formUnion(bits)
        log.entries.append("\(name) out")
        return result
    }

    func close() {
        log.entries.append("\(name) close")
    }
}

// MARK: - Decoding what a driver wrote

/// One frame as written on the wire, unmasked.
struct WireFrame: Equatable, CustomStringConvertible {
    var fin = true
    var rsv: UInt8 = 0
    var opcode: UInt8
    var masked = false
    var maskingKey: [UInt8] = []
    var payload: [UInt8] = []

    var description: String {
        "\(fin ? "" : "non-final ")op\(opcode)\(rsv != 0 ? " rsv\(rsv >> 4)" : "")\(masked ? " masked" : "") "
            + "[\(payload.count) bytes] \(Bytes.describe(Array(payload.prefix(16))))"
    }

    /// A close frame carrying `code` and `reason`.
    static func close(_ code: UInt16, _ reason: String = "", masked: Bool = false) -> WireFrame {
        WireFrame(opcode: 8, masked: masked, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Bytes.text(reason))
    }

    /// Decodes every frame in `bytes`; `nil` if they do not end on a frame boundary.
    static func decode(_ bytes: [UInt8]) -> [WireFrame]? {
        var frames: [WireFrame] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 2 else { return nil }
            var frame = WireFrame(opcode: bytes[index] & 0x0F)
            frame.fin = bytes[index] & 0x80 != 0
            frame.rsv = bytes[index] & 0x70
            frame.masked = bytes[index + 1] & 0x80 != 0
            var length = Int(bytes[index + 1] & 0x7F)
            index += 2
            let extra = length == 126 ? 2 : (length == 127 ? 8 : 0)
            guard bytes.count - index >= extra else { return nil }
            if extra > 0 {
                length = bytes[index..<(index + extra)].reduce(0) { $0 << 8 | Int($1) }
                index += extra
            }
            if frame.masked {
                guard bytes.count - index >= 4 else { return nil }
                frame.maskingKey = Array(bytes[index..<(index + 4)])
                index += 4
            }
            guard bytes.count - index >= length else { return nil }
            frame.payload = Array(bytes[index..<(index + length)])
            if frame.masked {
                for offset in frame.payload.indices { frame.payload[offset] ^= frame.maskingKey[offset % 4] }
            }
            index += length
            frames.append(frame)
        }
        return frames
    }

    /// Compares ignoring the masking key.
    func sameContent(as other: WireFrame) -> Bool {
        fin == other.fin && rsv == other.rsv && opcode == other.opcode && masked == other.masked
            && payload == other.payload
    }
}

extension DriverHarness {
    /// The frames written so far (client frames unmasked), cleared; `[]` if nothing was written.
    func takeFrames() -> [WireFrame]? {
        WireFrame.decode(takeWritten())
    }
}
