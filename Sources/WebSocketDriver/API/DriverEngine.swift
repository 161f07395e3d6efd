import WebSocketExtensions

/// One protocol flavour behind a ``Driver``: hybi-13 server or client, draft-75, draft-76.
protocol DriverEngine: AnyObject {
    var state: ReadyState { get }
    var version: String { get }
    var selectedProtocol: String? { get }
    var extensionNames: [String] { get }
    func start() -> Bool
    func parse(_ input: UnsafeRawBufferPointer)
    func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool
    /// Sends a whole data message straight from the caller's bytes when nothing has to keep
    /// them; `nil` when they must be kept (then `send(_:_:)` with an owned copy).
    func sendDirect(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> Bool?
    func ping(_ payload: [UInt8], onPong: (() -> Void)?) -> Bool
    func pong(_ payload: [UInt8]) -> Bool
    func close(code: CloseCode, reason: [UInt8]) -> Bool
    func sendFrame(_ frame: Frame) -> Bool
    func transportClosed()
    /// Takes new headers and extensions, before the handshake is sent.
    func update(options: DriverOptions)
    /// Lets the negotiated extensions give back idle state (hybi only).
    func releaseIdleState()
}

extension DriverEngine {
    /// The engine always keeps what it sends.
    func sendDirect(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> Bool? { nil }

    /// Nothing to release: the engine negotiates no extensions.
    func releaseIdleState() {}
}

/// The hybi-13 server engine for a request that is already parsed: it writes the handshake's
/// response itself, or opens on one a host wrote (``Driver/accepted(_:output:)``).
final class HybiServerEngine: DriverEngine {
    /// What only the opening handshake needs: dropped once it is answered, so that an open
    /// connection does not carry a copy of the request, the options and the host's decision.
    private final class Handshake {
        let request: IncomingRequest
        var options: DriverOptions
        /// The host's decision, when the host wrote the response.
        let hostAccepted: AcceptedHandshake?

        init(request: IncomingRequest, options: DriverOptions, hostAccepted: AcceptedHandshake?) {
            self.request = request
            self.options = options
            self.hostAccepted = hostAccepted
        }
    }

    let connection: HybiEngine
    let selectedProtocol: String?
    private(set) var extensionNames: [String] = []
    /// `nil` once ``start()`` ran.
    private var handshake: Handshake?

    /// An engine that decides on `request` and writes its response when started.
    convenience init(request: IncomingRequest, options: DriverOptions, context: DriverContext) {
        self.init(
            request: request, options: options, context: context,
            selectedProtocol: ServerHandshake.selectProtocol(request, supported: options.protocols),
            hostAccepted: nil)
    }

    /// An engine that opens on the response a host wrote for `accepted`.
    convenience init(accepted: AcceptedHandshake, context: DriverContext) {
        self.init(
            request: accepted.request, options: accepted.options, context: context,
            selectedProtocol: accepted.selectedProtocol, hostAccepted: accepted)
    }

    private init(
        request: IncomingRequest,
        options: DriverOptions,
        context: DriverContext,
        selectedProtocol: String?,
        hostAccepted: AcceptedHandshake?
    ) {
        self.handshake = Handshake(request: request, options: options, hostAccepted: hostAccepted)
        self.connection = HybiEngine(
            role: .server,
            context: context,
            maxLength: options.maxLength,
            initialState: .connecting
        )
        self.selectedProtocol = selectedProtocol
    }

    var state: ReadyState { connection.state }
    var version: String { "hybi-13" }
    /// Whether the handshake's request, options and decision are still held (before ``start()``).
    var holdsHandshake: Bool { handshake != nil }

    func start() -> Bool {
        guard connection.state == .connecting, let handshake else { return false }
        self.handshake = nil
        if let accepted = handshake.hostAccepted {
            open(accepted)
            return true
        }
        switch ServerHandshake.decide(handshake.request, options: handshake.options) {
        case .refuse(let refusal):
            connection.context.write(HTTPResponseText.refusal(refusal.error))
            connection.failHandshake(refusal.error)
            return false
        case .accept(let accepted):
            connection.context.write(HTTPResponseText.switchingProtocols(accepted))
            open(accepted)
            return true
        }
    }

    private func open(_ accepted: AcceptedHandshake) {
        extensionNames = accepted.extensions
        connection.open(with: accepted.negotiation.pipeline, leftover: nil)
    }

    func parse(_ input: UnsafeRawBufferPointer) { connection.parse(input) }
    func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool { connection.send(opcode, payload) }
    func sendDirect(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> Bool? {
        connection.sendDirect(opcode, payload)
    }
    func ping(_ payload: [UInt8], onPong: (() -> Void)?) -> Bool { connection.ping(payload, onPong: onPong) }
    func pong(_ payload: [UInt8]) -> Bool { connection.pong(payload) }
    func close(code: CloseCode, reason: [UInt8]) -> Bool { connection.close(code: code, reason: reason) }
    func sendFrame(_ frame: Frame) -> Bool { connection.sendFrame(frame) }
    func transportClosed() { connection.transportClosed() }
    func releaseIdleState() { connection.releaseIdleState() }
    func update(options: DriverOptions) { handshake?.options = options }
}

/// The hybi-13 client engine: sends the request, validates the response, then frames.
final class HybiClientEngine: DriverEngine {
    private(set) var handshake: ClientHandshake
    private(set) var options: DriverOptions
    let connection: HybiEngine
    private var responseParser: HTTPHeadParser
    private var negotiation: ClientExtensionNegotiation?
    private(set) var response: HandshakeResponse?
    private(set) var selectedProtocol: String?
    private(set) var extensionNames: [String] = []
    /// Whether the handshake is an HTTP/2 extended CONNECT that the host sends and receives.
    private(set) var viaExtendedConnect: Bool
    /// The extended CONNECT request, once started (``viaExtendedConnect`` only).
    private(set) var extendedConnectRequest: IncomingRequest?

    init(url: WebSocketURL, options: DriverOptions, context: DriverContext, viaExtendedConnect: Bool = false) {
        self.handshake = ClientHandshake(url: url, protocols: options.protocols, headers: options.headers)
        self.viaExtendedConnect = viaExtendedConnect
        self.options = options
        self.connection = HybiEngine(
            role: .client,
            context: context,
            maxLength: options.maxLength,
            initialState: .notStarted
        )
        self.responseParser = HTTPHeadParser(kind: .response, limits: options.httpLimits)
    }

    var state: ReadyState { connection.state }
    var version: String { "hybi-13" }

    func start() -> Bool {
        guard connection.state == .notStarted else { return false }
        let negotiation: ClientExtensionNegotiation
        do {
            negotiation = try options.extensions.makeClientNegotiation()
        } catch {
            connection.failHandshake(.extensionNegotiationFailed(error))
            return false
        }
        self.negotiation = negotiation
        // The state changes before the write, so a transport that answers inside the write
        // (a synchronous loopback) finds the driver ready for the response.
        connection.markConnecting()
        if viaExtendedConnect {
            extendedConnectRequest = handshake.extendedConnectRequest(extensionOffer: negotiation.offerHeader)
        } else {
            connection.context.write(handshake.request(extensionOffer: negotiation.offerHeader))
        }
        return true
    }

    /// Before the start: use the HTTP/1.1 upgrade after all.
    func fallBackToHTTP1() {
        if connection.state == .notStarted { viaExtendedConnect = false }
    }

    /// The host received the response to the extended CONNECT.
    func receiveExtendedConnectResponse(_ response: HandshakeResponse) {
        guard viaExtendedConnect, connection.state == .connecting, self.response == nil else { return }
        self.response = response
        complete(handshake.validateExtendedConnect(response), response: response, leftover: nil)
    }

    func parse(_ input: UnsafeRawBufferPointer) {
        switch connection.state {
        case .notStarted, .closed: return
        case .connecting:
            // Over HTTP/2 the response is the host's HEADERS: no byte comes before it.
            if !viaExtendedConnect { parseResponse(input) }
        case .open, .closing: connection.parse(input)
        }
    }

    private func parseResponse(_ input: UnsafeRawBufferPointer) {
        let result: HTTPHeadParser.Result
        do {
            result = try responseParser.parse(input)
        } catch {
            failHandshake(.invalidHTTPResponse(error))
            return
        }
        guard case .response(let response, let consumed) = result else { return }
        self.response = response
        complete(
            handshake.validate(response), response: response,
            leftover: UnsafeRawBufferPointer(rebasing: input[consumed...]))
    }

    /// Opens on a validated response (negotiating the extensions), or fails the handshake.
    private func complete(
        _ validation: Result<String?, ProtocolError>,
        response: HandshakeResponse,
        leftover: UnsafeRawBufferPointer?
    ) {
        switch validation {
        case .failure(let error):
            failHandshake(error)
        case .success(let chosen):
            let pipeline: ExtensionPipeline
            do {
                pipeline =
                    try negotiation?.activate(responseHeader: response.headers["Sec-WebSocket-Extensions"])
                    ?? ExtensionPipeline()
            } catch {
                negotiation = nil
                connection.failHandshake(.extensionNegotiationFailed(error))
                return
            }
            negotiation = nil
            selectedProtocol = chosen
            extensionNames = pipeline.extensionNames
            connection.open(with: pipeline, leftover: leftover)
        }
    }

    private func failHandshake(_ error: ProtocolError) {
        negotiation?.cancel()
        negotiation = nil
        connection.failHandshake(error)
    }

    func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool { connection.send(opcode, payload) }
    func sendDirect(_ opcode: Opcode, _ payload: UnsafeRawBufferPointer) -> Bool? {
        connection.sendDirect(opcode, payload)
    }
    func ping(_ payload: [UInt8], onPong: (() -> Void)?) -> Bool { connection.ping(payload, onPong: onPong) }
    func pong(_ payload: [UInt8]) -> Bool { connection.pong(payload) }
    func close(code: CloseCode, reason: [UInt8]) -> Bool {
        if connection.state == .connecting || connection.state == .notStarted {
            negotiation?.cancel()
            negotiation = nil
        }
        return connection.close(code: code, reason: reason)
    }
    func sendFrame(_ frame: Frame) -> Bool { connection.sendFrame(frame) }
    func transportClosed() {
        negotiation?.cancel()
        negotiation = nil
        connection.transportClosed()
    }
    func releaseIdleState() { connection.releaseIdleState() }
    func update(options: DriverOptions) {
        self.options = options
        handshake.headers = options.headers
    }
}
