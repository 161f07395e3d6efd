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

/// A deterministic generator for property tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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
