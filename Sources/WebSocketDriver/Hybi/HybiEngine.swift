import WebSocketExtensions

/// The RFC 6455 connection after (and while waiting for) the handshake: frame parsing, message
/// assembly, the closing handshake, and sending. Shared by the server and the client roles; the
/// role decides the masking rules.
final class HybiEngine {
    enum Role {
        case server
        case client
    }

    /// A send that waits for the connection to open (or for a streamed message to finish).
    enum PendingSend {
        case message(Opcode, [UInt8])
        case control(Opcode, [UInt8])
        case close(CloseCode, [UInt8])
        case frame(Frame)
    }

    let role: Role
    let context: DriverContext
    let maxLength: Int
    private(set) var state: ReadyState
    private(set) var pipeline = ExtensionPipeline() {
        didSet {
            allowedReservedBits = pipeline.reservedBits
            hasExtensions = !pipeline.isEmpty
        }
    }

    private var encoder: FrameEncoder
    private var pendingSends: [PendingSend] = []
    private var pingCallbacks: [(payload: [UInt8], callback: () -> Void)] = []
    /// The opcode of an outgoing message being streamed with ``sendFrame(_:)``, if any.
    private var streamingOpcode: Opcode?
    private var isFlushing = false

    // Parsing.
    private let rules: FrameHeaderRules
    private var partialHeader: [UInt8] = []
    private var frame: FrameHeader?
    private var payloadRemaining = 0
    private var maskOffset = 0
    private var message: IncomingMessage?
    /// Payload bytes announced on the wire so far by the message being assembled, for the
    /// `maxLength` check (kept out of `message` so that reading it never copies the message).
    private var messageWireLength = 0
    /// The reserved bits the negotiated extensions use: derived from `pipeline` when it is set,
    /// kept at hand for the per-frame header check.
    private var allowedReservedBits: ReservedBits = []
    /// Whether `pipeline` has any extension: derived from it when it is set, kept at hand for
    /// the per-message checks.
    private var hasExtensions = false
    private var controlPayload: [UInt8] = []
    /// Set once a close frame was received or the connection failed: nothing more is parsed.
    private var stopped = false
    private var isParsing = false
    /// Input received before the connection opened, or re-entrantly during a parse.
    private var heldInput: [UInt8] = []

    init(role: Role, context: DriverContext, maxLength: Int, initialState: ReadyState) {
        self.role = role
        self.context = context
        self.maxLength = maxLength
        self.state = initialState
        self.encoder = FrameEncoder(masks: role == .client)
        self.rules = FrameHeaderRules(requiresMask: role == .server, maxLength: maxLength)
    }

    // MARK: - Life cycle

    /// Marks the handshake as sent (a client waiting for its response).
    func markConnecting() {
        state = .connecting
    }

    /// Opens the connection: installs the negotiated pipeline, flushes queued sends, emits open,
    /// then parses any input that arrived early.
    func open(with pipeline: ExtensionPipeline, leftover: UnsafeRawBufferPointer? = nil) {
        guard state == .connecting || state == .notStarted else { return }
        self.pipeline = pipeline
        state = .open
        // Held before `onOpen`, so that input its handler feeds comes after this.
        if let leftover, leftover.count > 0 { heldInput.append(contentsOf: leftover) }
        flushPending()
        guard state == .open else { return }
        context.onOpen?()
        drainHeldInput()
    }

    /// Fails before the connection opened: the handshake was refused.
    func failHandshake(_ error: ProtocolError) {
        guard state != .closed else { return }
        stopped = true
        state = .closed
        pendingSends = []
        heldInput = []
        pipeline.close()
        context.fail(error)
    }

    /// Ends the connection because the transport went away (no close frame was exchanged).
    func transportClosed() {
        guard state != .closed else { return }
        stopped = true
        state = .closed
        releaseInput()
        pipeline.close()
        context.onClose?(CloseEvent(code: .abnormalClosure, reason: ""))
    }

    /// Lets the extensions give back idle state, while open or closing.
    func releaseIdleState() {
        guard state == .open || state == .closing else { return }
        pipeline.releaseIdleState()
    }

    // MARK: - Sending

    /// Sends (or queues) a whole data message through the extensions.
    func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool {
        switch state {
        case .notStarted, .connecting:
            pendingSends.append(.message(opcode, payload))
            return true
        case .open:
            if streamingOpcode != nil {
                pendingSends.append(.message(opcode, payload))
                return true
            }
            return transmitMessage(opcode, payload)
        case .closing, .closed:
            return false
        }
    }

    /// Frames a whole data message straight from the caller's bytes when nothing has to keep
    /// them: open, nothing queued, no streamed message under way and no extensions. `nil`
    /// otherwise: the caller sends an owned copy through ``send(_:_:)``.
    func sendDirect(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> Bool? {
        guard state == .open, streamingOpcode == nil, pendingSends.isEmpty, !hasExtensions else { return nil }
        encoder.encode(isFinal: true, reservedBits: [], opcode: opcode, payload: payload, into: context.output)
        return true
    }

    func ping(_ payload: [UInt8], onPong: (() -> Void)?) -> Bool {
        guard payload.count <= 125, state.rawValue <= ReadyState.open.rawValue else { return false }
        if let onPong { pingCallbacks.append((payload, onPong)) }
        return sendControl(.ping, payload)
    }

    func pong(_ payload: [UInt8]) -> Bool {
        guard payload.count <= 125 else { return false }
        return sendControl(.pong, payload)
    }

    private func sendControl(_ opcode: Opcode, _ payload: [UInt8]) -> Bool {
        switch state {
        case .notStarted, .connecting:
            pendingSends.append(.control(opcode, payload))
            return true
        case .open:
            writeFrame(isFinal: true, reservedBits: [], opcode: opcode, payload: payload)
            return true
        case .closing, .closed:
            return false
        }
    }

    /// Starts the closing handshake, or closes at once before the connection opened.
    func close(code: CloseCode, reason: [UInt8]) -> Bool {
        switch state {
        case .notStarted, .connecting:
            stopped = true
            state = .closed
            pendingSends = []
            heldInput = []
            pipeline.close()
            context.onClose?(CloseEvent(code: code, reason: String(decoding: reason, as: UTF8.self)))
            return true
        case .open:
            writeClose(code: code, reason: reason)
            state = .closing
            return true
        case .closing, .closed:
            return false
        }
    }

    /// Sends one raw frame, bypassing the extensions, for streaming a fragmented message.
    func sendFrame(_ frame: Frame) -> Bool {
        guard !frame.opcode.isReserved, frame.reservedBits.isValid else { return false }
        if frame.opcode.isControl {
            guard frame.isFinal, frame.payload.count <= 125, frame.reservedBits.isEmpty else { return false }
            if frame.opcode == .close { return false }
            return sendControl(frame.opcode, frame.payload)
        }
        switch state {
        case .notStarted, .connecting:
            pendingSends.append(.frame(frame))
            return true
        case .open:
            return transmitStreamed(frame)
        case .closing, .closed:
            return false
        }
    }

    private func transmitStreamed(_ frame: Frame) -> Bool {
        if frame.opcode == .continuation {
            guard streamingOpcode != nil, frame.reservedBits.isEmpty else { return false }
        } else {
            guard streamingOpcode == nil, pipeline.allowsReservedBits(frame.reservedBits, opcode: frame.opcode)
            else { return false }
        }
        streamingOpcode = frame.isFinal ? nil : (frame.opcode == .continuation ? streamingOpcode : frame.opcode)
        writeFrame(
            isFinal: frame.isFinal,
            reservedBits: frame.reservedBits,
            opcode: frame.opcode,
            payload: frame.payload
        )
        if streamingOpcode == nil { flushPending() }
        return true
    }

    private func transmitMessage(_ opcode: Opcode, _ payload: [UInt8]) -> Bool {
        if !hasExtensions {
            writeFrame(isFinal: true, reservedBits: [], opcode: opcode, payload: payload)
            return true
        }
        do {
            let processed = try pipeline.processOutgoing(Message(opcode: opcode, payload: payload))
            writeFrame(isFinal: true, reservedBits: processed.reservedBits, opcode: opcode, payload: processed.payload)
            return true
        } catch {
            fail(.extensionFailed(error))
            return false
        }
    }

    /// Sends what was queued, in order. Whole messages wait while a streamed message is
    /// unfinished, but the stream's own frames and control frames queued with it go out, so a
    /// stream queued before open is not stalled behind itself.
    private func flushPending() {
        guard !isFlushing else { return }
        isFlushing = true
        defer { isFlushing = false }
        var waiting: [PendingSend] = []
        while state == .open && !pendingSends.isEmpty {
            let next = pendingSends.removeFirst()
            switch next {
            case .message(let opcode, let payload):
                if streamingOpcode != nil {
                    waiting.append(next)
                    continue
                }
                _ = transmitMessage(opcode, payload)
            case .control(let opcode, let payload):
                writeFrame(isFinal: true, reservedBits: [], opcode: opcode, payload: payload)
            case .close(let code, let reason):
                writeClose(code: code, reason: reason)
                state = .closing
            case .frame(let frame):
                _ = transmitStreamed(frame)
                if streamingOpcode == nil && !waiting.isEmpty {
                    pendingSends.insert(contentsOf: waiting, at: 0)
                    waiting = []
                }
            }
        }
        if state == .open { pendingSends.insert(contentsOf: waiting, at: 0) }
    }

    private func writeClose(code: CloseCode, reason: [UInt8]) {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        payload.append(contentsOf: reason)
        writeFrame(isFinal: true, reservedBits: [], opcode: .close, payload: payload)
    }

    private func writeFrame(isFinal: Bool, reservedBits: ReservedBits, opcode: Opcode, payload: [UInt8]) {
        let output = context.output
        payload.withUnsafeBytes { bytes in
            encoder.encode(isFinal: isFinal, reservedBits: reservedBits, opcode: opcode, payload: bytes, into: output)
        }
    }

    // MARK: - Parsing

    /// Feeds received bytes. Before the connection opens they are held; after a close or a
    /// failure they are ignored.
    func parse(_ input: UnsafeRawBufferPointer) {
        guard !stopped, input.count > 0 else { return }
        guard !isParsing, state == .open || state == .closing, heldInput.isEmpty else {
            // Not open yet, inside a parse (a callback feeding more), or behind input held
            // earlier: keep the order.
            heldInput.append(contentsOf: input)
            drainHeldInput()
            return
        }
        isParsing = true
        defer { isParsing = false }
        consume(input)
        consumeHeldInput()
    }

    /// Parses held input, unless the connection is not open yet or a parse under way will.
    private func drainHeldInput() {
        guard !isParsing, state == .open || state == .closing, !heldInput.isEmpty else { return }
        isParsing = true
        defer { isParsing = false }
        consumeHeldInput()
    }

    private func consumeHeldInput() {
        while !stopped && !heldInput.isEmpty {
            let more = heldInput
            heldInput = []
            more.withUnsafeBytes { consume($0) }
        }
    }

    private func consume(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress else { return }
        let count = input.count
        var index = 0
        while !stopped {
            if frame == nil {
                guard index < count else { return }
                let parsed: FrameHeaderParse
                let consumedBefore = partialHeader.count
                if consumedBefore == 0 {
                    parsed = parseHeader(base + index, available: count - index)
                    switch parsed {
                    case .complete(let header):
                        index += header.size
                        if isWholeSmallMessage(header, available: count - index) {
                            guard deliverWholeSmallMessage(header, base + index) else { return }
                            index += header.payloadLength
                            continue
                        }
                    case .needMoreData:
                        partialHeader.append(
                            contentsOf: UnsafeRawBufferPointer(start: base + index, count: count - index))
                        return
                    case .failed: break
                    }
                } else {
                    let take = min(FrameHeader.maximumSize - consumedBefore, count - index)
                    partialHeader.append(contentsOf: UnsafeRawBufferPointer(start: base + index, count: take))
                    parsed = partialHeader.withUnsafeBytes { bytes in
                        parseHeader(bytes.baseAddress ?? base, available: bytes.count)
                    }
                    switch parsed {
                    case .complete(let header):
                        index += header.size - consumedBefore
                        partialHeader.removeAll(keepingCapacity: true)
                    case .needMoreData:
                        index += take
                        return
                    case .failed: break
                    }
                }
                switch parsed {
                case .complete(let header): begin(header)
                case .failed(let error):
                    fail(error)
                    return
                case .needMoreData: return
                }
            } else {
                if payloadRemaining > 0 {
                    guard index < count else { return }
                    let chunk = min(payloadRemaining, count - index)
                    guard absorbPayload(base + index, count: chunk) else { return }
                    index += chunk
                    payloadRemaining -= chunk
                }
                if payloadRemaining == 0 { finishFrame() }
            }
        }
    }

    /// Whether a frame is a whole small message already in the buffer that no extension
    /// transforms: the common case for chat, telemetry and JSON APIs, delivered without
    /// assembling it (``deliverWholeSmallMessage(_:_:)``).
    private func isWholeSmallMessage(_ header: FrameHeader, available: Int) -> Bool {
        header.isFinal && header.opcode.isData && !hasExtensions && header.payloadLength <= available
            && header.payloadLength <= IncomingMessage.directTextLimit
    }

    /// Delivers a whole small message straight from the read buffer: unmasked (and validated,
    /// for text) into temporary memory on the stack, then copied once into the `String` or the
    /// byte array it is delivered as. No message is assembled, and the byte array is made from a
    /// typed buffer, the one way the standard library allocates it without looking up its
    /// generic metadata each time. `false` if the connection failed.
    private func deliverWholeSmallMessage(_ header: FrameHeader, _ bytes: UnsafeRawPointer) -> Bool {
        let count = header.payloadLength
        let kind: WebSocketMessageKind = header.opcode == .text ? .text : .binary
        let key = header.isMasked ? header.maskingKey : nil
        return withUnsafeTemporaryAllocation(byteCount: max(count, 1), alignment: 1) { scratch in
            guard let destination = scratch.baseAddress else { return true }
            let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[..<count])
            guard kind == .text else {
                Masking.copy(
                    from: bytes, into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<count]), key: key, offset: 0)
                context.deliver(.binary, payload) { .binary(Array(payload.assumingMemoryBound(to: UInt8.self))) }
                return true
            }
            var validator = UTF8Validator()
            guard
                validator.copyValidating(from: bytes, to: destination, count: count, maskingKey: key, maskOffset: 0),
                validator.isComplete
            else {
                fail(.invalidUTF8)
                return false
            }
            context.deliver(.text, payload) { .text(ValidatedText.string(payload, isASCII: validator.isASCII)) }
            return true
        }
    }

    private func parseHeader(_ bytes: UnsafeRawPointer, available: Int) -> FrameHeaderParse {
        let inProgress = isAssemblingMessage
        return rules.parse(
            bytes,
            available: available,
            messageInProgress: inProgress,
            messageLength: inProgress ? messageWireLength : 0,
            allowedReservedBits: allowedReservedBits
        )
    }

    /// Whether a data message is being assembled (tested without copying it).
    private var isAssemblingMessage: Bool {
        if case .some = message { return true }
        return false
    }

    private func begin(_ header: FrameHeader) {
        frame = header
        payloadRemaining = header.payloadLength
        maskOffset = 0
        if header.opcode.isControl {
            controlPayload.removeAll(keepingCapacity: true)
        } else {
            if header.opcode.isData {
                message = IncomingMessage(
                    opcode: header.opcode,
                    reservedBits: header.reservedBits,
                    extensionsActive: hasExtensions,
                    capacityLimit: maxLength
                )
                messageWireLength = 0
            }
            messageWireLength += header.payloadLength
        }
    }

    /// Takes `count` payload bytes of the current frame; `false` if the connection failed.
    private func absorbPayload(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        guard let header = frame else { return false }
        if header.opcode.isControl {
            let start = controlPayload.count
            controlPayload.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
            if header.isMasked {
                controlPayload.withUnsafeMutableBytes { all in
                    Masking.apply(
                        key: header.maskingKey,
                        offset: maskOffset,
                        to: UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + count)])
                    )
                }
            }
            maskOffset += count
            return true
        }
        // Appended to in place (optional chaining on the stored property): never copied.
        guard
            let valid = message?.append(
                bytes,
                count: count,
                maskingKey: header.isMasked ? header.maskingKey : nil,
                maskOffset: maskOffset,
                wholeFrame: count == header.payloadLength && header.isFinal,
                frameLength: header.payloadLength,
                finalFrame: header.isFinal
            )
        else { return false }
        maskOffset += count
        if !valid {
            fail(.invalidUTF8)
            return false
        }
        return true
    }

    private func finishFrame() {
        guard let header = frame else { return }
        frame = nil
        switch header.opcode {
        case .close: receivedClose()
        case .ping: receivedPing()
        case .pong: receivedPong()
        default:
            if header.isFinal { completeMessage() }
        }
    }

    private func completeMessage() {
        guard var assembly = message.take() else { return }
        if assembly.validatesAsItArrives && !assembly.validator.isComplete {
            fail(.invalidUTF8)
            return
        }
        var payload = assembly.takePayload()
        var isASCII = assembly.validator.isASCII
        if hasExtensions {
            let incoming = Message(opcode: assembly.opcode, reservedBits: assembly.reservedBits, payload: payload)
            payload = []
            do {
                payload = try pipeline.processIncoming(incoming, maxLength: maxLength).payload
            } catch {
                fail(.extensionFailed(error))
                return
            }
            if payload.count > maxLength {
                fail(.frameTooLarge)
                return
            }
        }
        // What the extensions produced is checked again, whatever arrived on the wire.
        if assembly.opcode == .text && (hasExtensions || !assembly.validatesAsItArrives) {
            var validator = UTF8Validator()
            let valid = payload.withUnsafeBytes { validator.validate($0) }
            guard valid && validator.isComplete else {
                fail(.invalidUTF8)
                return
            }
            isASCII = validator.isASCII
        }
        if let text = assembly.text {
            context.deliver(text)
            return
        }
        // Text was validated above (as it arrived, or after the extensions): no second pass.
        let kind: WebSocketMessageKind = assembly.opcode == .text ? .text : .binary
        payload.withUnsafeBytes { bytes in
            context.deliver(kind, bytes) {
                kind == .text ? .text(ValidatedText.string(bytes, isASCII: isASCII)) : .binary(payload)
            }
        }
    }

    private func receivedClose() {
        let payload = controlPayload
        var code = CloseCode.normalClosure
        var reason: [UInt8] = []
        if payload.count == 1 {
            fail(.invalidClosePayload)
            return
        }
        if payload.count >= 2 {
            code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
            guard code.isValidOnWire else {
                fail(.invalidCloseCode(code.rawValue))
                return
            }
            reason = Array(payload[2...])
            guard UTF8Validator.isValid(reason) else {
                fail(.invalidUTF8)
                return
            }
        }
        if state == .open { writeClose(code: code, reason: reason) }
        stopped = true
        state = .closed
        releaseInput()
        pipeline.close()
        context.onClose?(CloseEvent(code: code, reason: String(decoding: reason, as: UTF8.self)))
    }

    private func receivedPing() {
        let payload = controlPayload
        if state == .open {
            writeFrame(isFinal: true, reservedBits: [], opcode: .pong, payload: payload)
        }
        context.onPing?(payload)
    }

    private func receivedPong() {
        let payload = controlPayload
        var matched: [() -> Void] = []
        pingCallbacks.removeAll { entry in
            guard entry.payload == payload else { return false }
            matched.append(entry.callback)
            return true
        }
        for callback in matched { callback() }
        context.onPong?(payload)
    }

    /// Fails the connection: sends a close frame if open, then reports error and close.
    func fail(_ error: ProtocolError) {
        guard state != .closed else { return }
        let wasOpen = state == .open
        stopped = true
        if wasOpen {
            writeClose(code: error.closeCode, reason: CloseReason.truncated(error.description))
        }
        state = .closed
        pendingSends = []
        releaseInput()
        pipeline.close()
        context.fail(error)
    }

    /// Once nothing more is parsed: drops everything the peer sent that is still held (the
    /// message being assembled, a partial header, held input), so a closed or failed
    /// connection keeps none of it.
    private func releaseInput() {
        message = nil
        messageWireLength = 0
        partialHeader = []
        heldInput = []
        controlPayload = []
    }

    /// The capacity of the message being assembled (0 when none), for tests of the bound.
    var assemblyCapacity: Int { message?.payloadCapacity ?? 0 }
}
