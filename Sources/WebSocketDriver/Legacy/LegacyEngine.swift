import WebSocketExtensions

/// The pre-RFC hixie protocols a server may still meet: draft-75 and draft-76.
///
/// Text frames are `00` + UTF-8 + `FF`; a lead byte with the high bit set starts a
/// length-prefixed frame whose payload is skipped; in draft-76 `FF 00` closes. There is no
/// binary, ping, pong, subprotocol or extension. Differences from the Ruby driver: a key with no
/// spaces is a clean 400 (not a division by zero), nothing is written once closed, and a skipped
/// frame's bytes never end a text frame early.
class LegacyEngine: DriverEngine {
    enum Flavour {
        case draft75
        case draft76
    }

    private enum FrameState {
        case idle
        case text
        case length(UInt64)
        case skipping(UInt64)
        /// draft-76: `FF` seen, its length byte decides between close and a skipped frame.
        case closingLength
    }

    let flavour: Flavour
    let request: IncomingRequest
    private(set) var options: DriverOptions
    let context: DriverContext
    private(set) var state: ReadyState = .connecting
    private var frameState = FrameState.idle
    private var textBuffer: [UInt8] = []
    private var pending: [[UInt8]] = []
    private var heldInput: [UInt8] = []
    private var handshakeSent = false
    private var isParsing = false

    init(flavour: Flavour, request: IncomingRequest, options: DriverOptions, context: DriverContext) {
        self.flavour = flavour
        self.request = request
        self.options = options
        self.context = context
        heldInput = request.body
    }

    var version: String { flavour == .draft75 ? "hixie-75" : "hixie-76" }
    var selectedProtocol: String? { nil }
    var extensionNames: [String] { [] }

    // MARK: Handshake

    func start() -> Bool {
        guard state == .connecting, !handshakeSent else { return false }
        switch validate() {
        case .failure(let error):
            context.write(HTTPResponseText.refusal(error))
            state = .closed
            context.fail(error)
            return false
        case .success(let location):
            handshakeSent = true
            context.write(responseHead(location: location))
            if flavour == .draft75 {
                open()
            } else {
                finishDraft76HandshakeIfReady()
            }
            return true
        }
    }

    private func validate() -> Result<String, ProtocolError> {
        guard request.method == "GET" else {
            return .failure(.notWebSocketRequest("the method is \(request.method), not GET"))
        }
        guard request.headers.containsToken("websocket", in: "Upgrade"),
            request.headers.containsToken("upgrade", in: "Connection")
        else { return .failure(.notWebSocketRequest("missing Upgrade: WebSocket and Connection: Upgrade")) }
        guard let host = request.headers.first("Host") else { return .failure(.missingHeader("Host")) }
        if flavour == .draft76 {
            for name in ["Sec-WebSocket-Key1", "Sec-WebSocket-Key2"] where request.headers.first(name) == nil {
                return .failure(.missingHeader(name))
            }
            guard Draft76Key.value(request.headers.first("Sec-WebSocket-Key1") ?? "") != nil,
                Draft76Key.value(request.headers.first("Sec-WebSocket-Key2") ?? "") != nil
            else { return .failure(.invalidDraft76Keys) }
        }
        return .success("ws://\(host)\(request.target)")
    }

    private func responseHead(location: String) -> String {
        let origin = request.headers.first("Origin")
        var text: String
        if flavour == .draft75 {
            text = "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            if let origin { text += "WebSocket-Origin: \(origin)\r\n" }
            text += "WebSocket-Location: \(location)\r\n"
        } else {
            text = "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            if let origin { text += "Sec-WebSocket-Origin: \(origin)\r\n" }
            text += "Sec-WebSocket-Location: \(location)\r\n"
        }
        text += HTTPResponseText.headerLines(options.headers)
        text += "\r\n"
        return text
    }

    /// draft-76: once the 8-byte key3 has arrived, writes the MD5 challenge answer and opens.
    private func finishDraft76HandshakeIfReady() {
        guard handshakeSent, state == .connecting, heldInput.count >= 8,
            let key1 = Draft76Key.value(request.headers.first("Sec-WebSocket-Key1") ?? ""),
            let key2 = Draft76Key.value(request.headers.first("Sec-WebSocket-Key2") ?? "")
        else { return }
        var challenge: [UInt8] = []
        for value in [key1, key2] {
            withUnsafeBytes(of: value.bigEndian) { challenge.append(contentsOf: $0) }
        }
        challenge.append(contentsOf: heldInput[0..<8])
        heldInput.removeFirst(8)
        context.write(MD5.hash(challenge))
        open()
    }

    private func open() {
        state = .open
        let queued = pending
        pending = []
        for frame in queued { context.write(frame) }
        context.onOpen?()
        drainHeldInput()
    }

    private func drainHeldInput() {
        guard state == .open, !heldInput.isEmpty, !isParsing else { return }
        let input = heldInput
        heldInput = []
        input.withUnsafeBytes { parse($0) }
    }

    // MARK: Input

    func parse(_ input: UnsafeRawBufferPointer) {
        guard state != .closed, input.count > 0 else { return }
        if state == .connecting || isParsing || !heldInput.isEmpty {
            // Not open yet, inside a parse, or behind input held earlier: keep the order.
            heldInput.append(contentsOf: input)
            finishDraft76HandshakeIfReady()
            drainHeldInput()
            return
        }
        isParsing = true
        defer { isParsing = false }
        consume(input)
        while state == .open && !heldInput.isEmpty {
            let more = heldInput
            heldInput = []
            more.withUnsafeBytes { consume($0) }
        }
    }

    private func consume(_ input: UnsafeRawBufferPointer) {
        var index = 0
        while index < input.count && state == .open {
            let byte = input[index]
            switch frameState {
            case .idle:
                if byte & 0x80 == 0 {
                    frameState = .text
                    textBuffer.removeAll(keepingCapacity: true)
                } else if byte == 0xFF && flavour == .draft76 {
                    frameState = .closingLength
                } else {
                    frameState = .length(0)
                }
                index += 1
            case .text:
                let rest = input[index...]
                if let end = rest.firstIndex(of: 0xFF) {
                    textBuffer.append(contentsOf: input[index..<end])
                    index = end + 1
                    frameState = .idle
                    guard checkLength() else { return }
                    let text = String(decoding: textBuffer, as: UTF8.self)
                    textBuffer.removeAll(keepingCapacity: true)
                    context.deliver(text)
                } else {
                    textBuffer.append(contentsOf: rest)
                    index = input.count
                    guard checkLength() else { return }
                }
            case .closingLength:
                if byte == 0x00 {
                    index += 1
                    receivedClose()
                    return
                }
                frameState = .length(0)
            case .length(let sofar):
                let value = sofar << 7 | UInt64(byte & 0x7F)
                index += 1
                if byte & 0x80 != 0 {
                    guard sofar >> 50 == 0 else {
                        _ = close(code: .messageTooBig, reason: [])
                        return
                    }
                    frameState = .length(value)
                } else {
                    frameState = value == 0 ? .idle : .skipping(value)
                }
            case .skipping(let remaining):
                let available = UInt64(input.count - index)
                let skipped = min(available, remaining)
                index += Int(skipped)
                frameState = remaining == skipped ? .idle : .skipping(remaining - skipped)
            }
        }
    }

    /// Closes (as the Ruby driver does) when buffered text exceeds `maxLength`.
    private func checkLength() -> Bool {
        guard textBuffer.count > options.maxLength else { return true }
        textBuffer = []
        _ = close(code: .messageTooBig, reason: [])
        return false
    }

    private func receivedClose() {
        context.write([0xFF, 0x00])
        state = .closed
        context.onClose?(CloseEvent(code: .normalClosure))
    }

    // MARK: Output

    func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool {
        guard opcode == .text else { return false }
        var frame: [UInt8] = [0x00]
        frame.reserveCapacity(payload.count + 2)
        frame.append(contentsOf: payload)
        frame.append(0xFF)
        switch state {
        case .connecting, .notStarted:
            pending.append(frame)
            return true
        case .open:
            context.write(frame)
            return true
        case .closing, .closed:
            return false
        }
    }

    func ping(_ payload: [UInt8], onPong: (() -> Void)?) -> Bool { false }
    func pong(_ payload: [UInt8]) -> Bool { false }
    func sendFrame(_ frame: Frame) -> Bool { false }

    func close(code: CloseCode, reason: [UInt8]) -> Bool {
        guard state != .closed else { return false }
        if flavour == .draft76 && state == .open { context.write([0xFF, 0x00]) }
        state = .closed
        pending = []
        context.onClose?(CloseEvent(code: code, reason: String(decoding: reason, as: UTF8.self)))
        return true
    }

    func transportClosed() {
        guard state != .closed else { return }
        state = .closed
        context.onClose?(CloseEvent(code: .abnormalClosure))
    }

    func update(options: DriverOptions) { self.options = options }
}

/// The draft-75 engine.
final class Draft75Engine: LegacyEngine {
    init(request: IncomingRequest, options: DriverOptions, context: DriverContext) {
        super.init(flavour: .draft75, request: request, options: options, context: context)
    }
}

/// The draft-76 engine.
final class Draft76Engine: LegacyEngine {
    init(request: IncomingRequest, options: DriverOptions, context: DriverContext) {
        super.init(flavour: .draft76, request: request, options: options, context: context)
    }
}

/// draft-76 `Sec-WebSocket-Key1`/`Key2` decoding: the key's digits read as a number, divided by
/// its count of spaces.
enum Draft76Key {
    /// The key's value, or `nil` when it has no digits, no spaces, is not divisible by its
    /// spaces, or does not fit in 32 bits.
    static func value(_ key: String) -> UInt32? {
        var number: UInt64 = 0
        var digits = 0
        var spaces: UInt64 = 0
        for byte in key.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                guard number <= (UInt64.max - 9) / 10 else { return nil }
                number = number * 10 + UInt64(byte - UInt8(ascii: "0"))
            } else if byte == UInt8(ascii: " ") {
                spaces += 1
            }
        }
        guard digits > 0, spaces > 0, number % spaces == 0 else { return nil }
        return UInt32(exactly: number / spaces)
    }
}
