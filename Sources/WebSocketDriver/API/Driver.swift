public import WebSocketExtensions

/// A sans-IO WebSocket protocol driver: bytes in through ``parse(_:)-(UnsafeRawBufferPointer)``, bytes out through
/// the output sink given at creation, events out through the `on…` callbacks.
///
/// A driver does no I/O, starts no thread and sets no timer; use it from one thread at a time.
/// Create one per connection with a factory:
/// - ``server(options:output:)`` parses the raw HTTP request itself and emits ``onConnect``;
/// - ``forRequest(_:options:output:)`` takes a request your server already parsed and picks
///   hybi-13, draft-76 or draft-75 from its headers;
/// - ``client(url:options:output:)`` speaks the client side for a `ws:`/`wss:` URL.
///
/// ```swift
/// let driver = Driver.server { bytes in socket.write(bytes) }
/// driver.onConnect = { request in
///     if Driver.isWebSocketRequest(request) { driver.start() }
/// }
/// driver.onMessage = { message in
///     if case .text(let text) = message { driver.text(text) }
/// }
/// // for each read: driver.parse(bytes)
/// ```
///
/// The output sink receives each frame or HTTP head as one contiguous buffer that is valid only
/// during the call: copy it (into your socket buffer) before returning.
public final class Driver {
    /// The output sink: called with bytes to send, valid only during the call.
    public typealias Output = (UnsafeRawBufferPointer) -> Void

    private enum Mode {
        /// A server driver still reading the request head (boxed: the parser is large and is
        /// dropped once the head is read, so an open connection does not carry its space).
        indirect case awaitingRequest(HTTPHeadParser)
        /// The request head could not be parsed; the driver is closed.
        case refused
        case engine(any DriverEngine)
    }

    /// A call made on a server driver before its request was complete, replayed once it is.
    private enum DeferredCall {
        case start
        case send(Opcode, [UInt8])
        case ping([UInt8], (() -> Void)?)
        case pong([UInt8])
        case frame(Frame)
    }

    private let context: DriverContext
    /// The options while the handshake may still change (see ``options``); `nil` once sent.
    private var handshakeOptions: HandshakeOptions?
    private var mode: Mode
    private var deferredCalls: [DeferredCall] = []
    private var closedBeforeRequest = false

    /// The request a server driver answers: the parsed one, or the one given to
    /// ``forRequest(_:options:output:)``. `nil` until a ``server(options:output:)`` driver has
    /// read the whole head.
    public private(set) var request: IncomingRequest?

    private init(options: DriverOptions, output: @escaping Output, mode: Mode) {
        self.context = DriverContext(output: output)
        self.handshakeOptions = HandshakeOptions(Self.writableOptions(options))
        self.mode = mode
    }

    /// The options, which only the handshake uses (an engine keeps what it needs of them): they
    /// are dropped once the handshake is sent, so that an open connection does not carry them.
    /// Only read or changed before then (``setHeader(_:_:)`` and ``addExtension(_:)`` refuse
    /// later).
    private var options: DriverOptions {
        get { handshakeOptions?.options ?? DriverOptions() }
        set {
            if let handshakeOptions {
                handshakeOptions.options = newValue
            } else {
                handshakeOptions = HandshakeOptions(newValue)
            }
        }
    }

    /// Drops the options once the engine's handshake can no longer change.
    private func releaseOptionsIfSent(by engine: any DriverEngine) {
        if !Self.isUntouched(engine) { handshakeOptions = nil }
    }

    /// Whether `engine` has not sent its handshake yet: headers and extensions may still change.
    private static func isUntouched(_ engine: any DriverEngine) -> Bool {
        engine.state == .notStarted || (engine.state == .connecting && !(engine is HybiClientEngine))
    }

    /// The options without the header fields `setHeader` would refuse (bad names, CR/LF in
    /// values, headers the driver writes itself): those never reach the wire.
    private static func writableOptions(_ options: DriverOptions) -> DriverOptions {
        var options = options
        options.headers = HeaderFields(
            options.headers.filter { (try? HeaderError.validate(name: $0.name, value: $0.value)) != nil }
                .map { ($0.name, $0.value) })
        return options
    }

    // MARK: - Factories

    /// A server driver that parses the raw HTTP request itself (the Ruby `Driver.server`).
    ///
    /// When the head is complete it emits ``onConnect`` with the request; call ``start()`` to
    /// accept it (also allowed earlier: the driver then starts as soon as the request is
    /// complete), or answer plain HTTP yourself. Bytes after the head in the same read (early
    /// frames, a draft-76 body) are kept for the protocol.
    public static func server(options: DriverOptions = DriverOptions(), output: @escaping Output) -> Driver {
        Driver(
            options: options, output: output,
            mode: .awaitingRequest(HTTPHeadParser(kind: .request, limits: options.httpLimits)))
    }

    /// A server driver for a request your own HTTP server already parsed (the Ruby `Driver.rack`).
    ///
    /// hybi-13 if `Sec-WebSocket-Version` or `Sec-WebSocket-Key` is present; otherwise draft-76 if
    /// `Sec-WebSocket-Key1` or `Key2` is; otherwise draft-75. A draft-76 request's 8-byte body
    /// may be in `request.body` or arrive through ``parse(_:)-(UnsafeRawBufferPointer)``.
    public static func forRequest(
        _ request: IncomingRequest,
        options: DriverOptions = DriverOptions(),
        output: @escaping Output
    ) -> Driver {
        let driver = Driver(options: options, output: output, mode: .refused)
        driver.request = request
        driver.mode = .engine(driver.makeEngine(for: request))
        return driver
    }

    /// Decides on a WebSocket request for a host server that writes the response itself.
    ///
    /// The same rules as every server driver (RFC 6455 §4.2.1 checks in order, the first offered
    /// subprotocol in ``DriverOptions/protocols``, extension negotiation through
    /// ``DriverOptions/extensions``), but nothing is written: the host answers what the decision
    /// says, then, after an acceptance, creates the driver with ``accepted(_:output:)``.
    ///
    /// ```swift
    /// switch Driver.decide(request, options: options) {
    /// case .accept(let handshake):
    ///     // write "101 Switching Protocols" with handshake.headers, then:
    ///     let driver = Driver.accepted(handshake) { bytes in socket.write(bytes) }
    ///     driver.onMessage = { message in … }
    ///     _ = driver.start()  // open: emits onOpen, sends what was queued
    /// case .refuse(let refusal):
    ///     // write refusal.status, refusal.headers and refusal.body
    /// }
    /// ```
    ///
    /// Only hybi-13 (RFC 6455) is decided here: a request of the 2010 drafts has no
    /// `Sec-WebSocket-Version` and is refused with 426 and `Sec-WebSocket-Version: 13`.
    public static func decide(_ request: IncomingRequest, options: DriverOptions = DriverOptions())
        -> HandshakeDecision
    {
        ServerHandshake.decide(request, options: Self.writableOptions(options))
    }

    /// A server driver for a handshake the host accepted and answered itself (see
    /// ``decide(_:options:)``).
    ///
    /// It writes nothing of the handshake: set its callbacks, then call ``start()`` once the
    /// host's `101` is written. The driver opens (``onOpen``), sends what was queued, and parses
    /// what ``parse(_:)-(UnsafeRawBufferPointer)`` was given meanwhile. Its options are the ones
    /// given to ``decide(_:options:)``.
    public static func accepted(_ handshake: AcceptedHandshake, output: @escaping Output) -> Driver {
        let driver = Driver(options: handshake.options, output: output, mode: .refused)
        driver.request = handshake.request
        driver.mode = .engine(HybiServerEngine(accepted: handshake, context: driver.context))
        return driver
    }

    /// A client driver for a `ws:` or `wss:` URL. Call ``start()`` to send the request.
    ///
    /// The request carries `Host` (with the port only when not the default), the key and
    /// version, the subprotocols and extension offers, `Authorization: Basic` from the URL's
    /// userinfo (percent-decoded), then ``DriverOptions/headers`` (put `Origin` there).
    /// - Throws: ``WebSocketURLError`` for a URL that is not a valid WebSocket URL.
    public static func client(
        url: String,
        options: DriverOptions = DriverOptions(),
        output: @escaping Output
    ) throws(WebSocketURLError) -> Driver {
        try makeClient(url: url, options: options, output: output, viaExtendedConnect: false)
    }

    /// A hybi-13 client driver, its handshake an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT.
    private static func makeClient(
        url: String, options: DriverOptions, output: @escaping Output, viaExtendedConnect: Bool
    ) throws(WebSocketURLError) -> Driver {
        let parsed = try WebSocketURL(url)
        let driver = Driver(options: options, output: output, mode: .refused)
        driver.mode = .engine(
            HybiClientEngine(
                url: parsed, options: driver.options, context: driver.context, viaExtendedConnect: viaExtendedConnect))
        return driver
    }

    /// A client driver whose opening handshake is an HTTP/2 extended CONNECT (RFC 8441) that
    /// the host sends and receives as HEADERS on a stream.
    ///
    /// After ``start()``, send ``extendedConnectRequest`` (`:method` CONNECT, `:protocol`,
    /// `:path` from ``IncomingRequest/target``, `:authority` from its `Host`, the other fields
    /// lowercased); hand the response HEADERS to ``receiveExtendedConnectResponse(_:)``. The
    /// driver then opens (or fails, as for a `101` that does not validate) and frames as usual
    /// over the stream's DATA.
    /// - Throws: ``WebSocketURLError`` for a URL that is not a valid WebSocket URL.
    public static func extendedConnectClient(
        url: String,
        options: DriverOptions = DriverOptions(),
        output: @escaping Output
    ) throws(WebSocketURLError) -> Driver {
        try makeClient(url: url, options: options, output: output, viaExtendedConnect: true)
    }

    /// Makes an ``extendedConnectClient(url:options:output:)`` driver, before ``start()``, send
    /// and validate an HTTP/1.1 upgrade instead (its host found no HTTP/2 with extended CONNECT).
    package func fallBackToHTTP1Handshake() {
        (engine as? HybiClientEngine)?.fallBackToHTTP1()
    }

    /// The request an ``extendedConnectClient(url:options:output:)`` driver asks its host to
    /// send, once started; `nil` for other drivers.
    public var extendedConnectRequest: IncomingRequest? { (engine as? HybiClientEngine)?.extendedConnectRequest }

    /// Hands an ``extendedConnectClient(url:options:output:)`` driver the response to its
    /// extended CONNECT: a 2xx opens it (subprotocol and extensions validated as for a `101`),
    /// any other status fails the handshake with ``ProtocolError/unexpectedStatus(_:)``.
    public func receiveExtendedConnectResponse(_ response: HandshakeResponse) {
        (engine as? HybiClientEngine)?.receiveExtendedConnectResponse(response)
    }

    /// Whether a request asks for a WebSocket: a `GET` whose `Connection` lists `upgrade` and
    /// whose `Upgrade` is `websocket` (RFC 6455 §4.2.1; case-insensitive, token lists allowed).
    public static func isWebSocketRequest(_ request: IncomingRequest) -> Bool {
        ServerHandshake.isUpgradeRequest(request)
    }

    /// The `Sec-WebSocket-Accept` value for a key: `base64(SHA-1(key + GUID))` (RFC 6455 §4.2.2).
    public static func acceptValue(forKey key: String) -> String {
        ServerHandshake.acceptValue(forKey: key)
    }

    private func makeEngine(for request: IncomingRequest) -> any DriverEngine {
        let headers = request.headers
        if headers.contains("Sec-WebSocket-Version") || headers.contains("Sec-WebSocket-Key") {
            return HybiServerEngine(request: request, options: options, context: context)
        }
        if headers.contains("Sec-WebSocket-Key1") || headers.contains("Sec-WebSocket-Key2") {
            return Draft76Engine(request: request, options: options, context: context)
        }
        return Draft75Engine(request: request, options: options, context: context)
    }

    // MARK: - Events

    /// A server driver read a whole request head (``server(options:output:)`` only).
    public var onConnect: ((IncomingRequest) -> Void)? {
        get { context.onConnect }
        set { context.onConnect = newValue }
    }
    /// The handshake completed; queued messages have been sent.
    public var onOpen: (() -> Void)? {
        get { context.onOpen }
        set { context.onOpen = newValue }
    }
    /// A whole message arrived.
    public var onMessage: ((WebSocketMessage) -> Void)? {
        get { context.onMessage }
        set { context.onMessage = newValue }
    }
    /// A whole message arrived, lent rather than given: when this is set, every message comes
    /// here instead of ``onMessage``, as its kind and a view of its bytes that is valid only
    /// during the call (copy what you keep). Text is valid UTF-8, checked as for ``onMessage``.
    ///
    /// For callers that consume a message where it lies (parse it, hash it, forward it): a small
    /// message that arrives whole is unmasked on the stack and lent from there, with no
    /// allocation at all; a larger or fragmented one is lent from the buffer it was assembled
    /// in. ``onMessage`` allocates a `String` or an array for every message.
    public var onMessageView: ((WebSocketMessageKind, RawSpan) -> Void)? {
        get { context.onMessageView }
        set { context.onMessageView = newValue }
    }
    /// The connection failed; ``onClose`` follows with the error's close code.
    public var onError: ((ProtocolError) -> Void)? {
        get { context.onError }
        set { context.onError = newValue }
    }
    /// The connection is closed (once).
    public var onClose: ((CloseEvent) -> Void)? {
        get { context.onClose }
        set { context.onClose = newValue }
    }
    /// A ping arrived (the pong was already sent).
    public var onPing: (([UInt8]) -> Void)? {
        get { context.onPing }
        set { context.onPing = newValue }
    }
    /// A pong arrived.
    public var onPong: (([UInt8]) -> Void)? {
        get { context.onPong }
        set { context.onPong = newValue }
    }

    // MARK: - State

    private var engine: (any DriverEngine)? {
        if case .engine(let engine) = mode { return engine }
        return nil
    }

    /// Where the connection is. A server driver still reading its request is `connecting`.
    public var readyState: ReadyState {
        switch mode {
        case .awaitingRequest: return closedBeforeRequest ? .closed : .connecting
        case .refused: return .closed
        case .engine(let engine): return engine.state
        }
    }

    /// The negotiated subprotocol, if any. A hybi server knows it from the request, before
    /// ``start()``; a client once the response is validated.
    public var `protocol`: String? { engine?.selectedProtocol }

    /// `hybi-13`, `hixie-76` or `hixie-75`; `nil` while a server driver reads its request.
    public var version: String? { engine?.version }

    /// The names of the negotiated extensions, in pipeline order.
    public var extensions: [String] { engine?.extensionNames ?? [] }

    /// The handshake response a client received (available even when validation failed).
    public var response: HandshakeResponse? { (engine as? HybiClientEngine)?.response }

    /// The handshake response's status code (client).
    public var status: Int? { response?.status }

    /// The handshake response's headers (client).
    public var headers: HeaderFields? { response?.headers }

    /// The URL: a client's, or for a server the request's `ws://` URL built from `Host` and the
    /// target (`nil` until the request is known).
    public var url: String? {
        if let client = engine as? HybiClientEngine { return client.handshake.url.description }
        guard let request, let host = request.headers.first("Host") else { return nil }
        return "ws://\(host)\(request.target)"
    }

    // MARK: - Configuration

    /// Adds a header to the handshake (a server's 101 response, a client's request).
    ///
    /// - Throws: ``HeaderError`` for a name that is not a token, a value with CR, LF, NUL or other
    ///   control characters, a header the driver writes itself, or a handshake already sent.
    public func setHeader(_ name: String, _ value: String) throws(HeaderError) {
        try HeaderError.validate(name: name, value: value)
        try requireNoHandshakeYet()
        options.headers.append(name: name, value: value)
        updateEngineOptions()
    }

    /// Registers an extension to negotiate (hybi only), before the handshake.
    /// - Throws: `ExtensionRegistryError` from the registry, or ``HeaderError/handshakeAlreadySent``.
    public func addExtension(_ newExtension: any WebSocketExtension) throws {
        try requireNoHandshakeYet()
        try options.extensions.add(newExtension)
        updateEngineOptions()
    }

    private func requireNoHandshakeYet() throws(HeaderError) {
        switch mode {
        case .awaitingRequest: return
        case .refused: throw .handshakeAlreadySent
        case .engine(let engine):
            if !Self.isUntouched(engine) { throw .handshakeAlreadySent }
        }
    }

    /// Hands the new headers and extensions to an engine that has not sent its handshake yet
    /// (keeping what it queued and held).
    private func updateEngineOptions() {
        guard case .engine(let engine) = mode else { return }
        engine.update(options: options)
    }

    // MARK: - Input

    /// Feeds bytes read from the connection. Events fire and output is written during the call.
    public func parse(_ bytes: UnsafeRawBufferPointer) {
        switch mode {
        case .refused: return
        case .engine(let engine): engine.parse(bytes)
        case .awaitingRequest(var parser):
            if closedBeforeRequest { return }
            mode = .refused
            let result: HTTPHeadParser.Result
            do {
                result = try parser.parse(bytes)
            } catch {
                let failure = ProtocolError.invalidHTTPRequest(error)
                context.write(HTTPResponseText.refusal(failure))
                context.fail(failure)
                return
            }
            guard case .request(let parsed, let consumed) = result else {
                mode = .awaitingRequest(parser)
                return
            }
            requestCompleted(parsed, leftover: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
        }
    }

    /// Feeds bytes read from the connection.
    public func parse(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { parse(UnsafeRawBufferPointer($0)) }
        if handled == nil { Array(bytes).withUnsafeBytes { parse($0) } }
    }

    private func requestCompleted(_ parsed: IncomingRequest, leftover: UnsafeRawBufferPointer) {
        request = parsed
        let engine = makeEngine(for: parsed)
        mode = .engine(engine)
        // Early bytes go to the engine before anything runs: hybi holds them until open,
        // draft-76 takes its key3 from them.
        engine.parse(leftover)
        // Sends made meanwhile join the engine's queue first, so that they are flushed before
        // `onOpen` whether `start()` was called early or is called in `onConnect`.
        let calls = deferredCalls
        deferredCalls = []
        var startRequested = false
        for call in calls {
            switch call {
            case .start: startRequested = true
            case .send(let opcode, let payload): _ = engine.send(opcode, payload)
            case .ping(let payload, let callback): _ = engine.ping(payload, onPong: callback)
            case .pong(let payload): _ = engine.pong(payload)
            case .frame(let frame): _ = engine.sendFrame(frame)
            }
        }
        context.onConnect?(parsed)
        if startRequested {
            _ = engine.start()
            releaseOptionsIfSent(by: engine)
        }
    }

    /// Tells the driver the transport closed without a closing handshake: emits close 1006
    /// (once) if the connection was not already closed, and releases extension state.
    public func transportClosed() {
        switch mode {
        case .engine(let engine): engine.transportClosed()
        case .awaitingRequest:
            guard !closedBeforeRequest else { return }
            closedBeforeRequest = true
            context.onClose?(CloseEvent(code: .abnormalClosure))
        case .refused: return
        }
    }

    /// Lets the negotiated extensions give back memory they hold only to process the next
    /// message faster, because the connection has been idle: permessage-deflate ends its zlib
    /// streams and keeps only their windows, so context takeover loses nothing.
    ///
    /// Call it between messages from the thread that drives the connection, for example from an
    /// idle timer (FayeWebSocket does, see `WebSocketOptions.extensionIdleRelease`). It never
    /// changes what is sent or received; it does nothing before the open, after the close, or
    /// without extensions.
    public func releaseIdleState() {
        engine?.releaseIdleState()
    }

    /// Whether the driver (or its hybi server engine) still holds what only the opening
    /// handshake needs, for tests of its release.
    var holdsHandshakeState: Bool {
        handshakeOptions != nil || (engine as? HybiServerEngine)?.holdsHandshake == true
    }

    /// The capacity of the buffer assembling an incoming message (0 when none), for tests of
    /// its bound.
    var assemblyCapacity: Int {
        if let server = engine as? HybiServerEngine { return server.connection.assemblyCapacity }
        if let client = engine as? HybiClientEngine { return client.connection.assemblyCapacity }
        return 0
    }

    // MARK: - Output

    /// Sends the handshake: a server's response (or its refusal), a client's request.
    /// - Returns: whether a handshake was sent (or, for a server still reading its request,
    ///   will be sent once the request is complete).
    @discardableResult
    public func start() -> Bool {
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest, !deferredCalls.contains(where: { if case .start = $0 { true } else { false } })
            else { return false }
            deferredCalls.append(.start)
            return true
        case .refused: return false
        case .engine(let engine):
            let started = engine.start()
            releaseOptionsIfSent(by: engine)
            return started
        }
    }

    /// Sends a text message (queued until open).
    /// - Returns: `false` once closing or closed.
    @discardableResult
    public func text(_ text: String) -> Bool {
        // An open connection with nothing to keep frames the String's own UTF-8 bytes: no copy.
        if case .engine(let engine) = mode {
            var text = text
            if let sent = text.withUTF8({ engine.sendDirect(.text, UnsafeRawBufferPointer($0)) }) { return sent }
        }
        return send(.text, Array(text.utf8))
    }

    /// Sends a binary message (queued until open). draft-75/76 cannot and return `false`.
    @discardableResult
    public func binary(_ bytes: [UInt8]) -> Bool {
        send(.binary, bytes)
    }

    /// Sends a message (queued until open).
    @discardableResult
    public func send(_ message: WebSocketMessage) -> Bool {
        switch message {
        case .text(let text): return self.text(text)
        case .binary(let bytes): return binary(bytes)
        }
    }

    private func send(_ opcode: Opcode, _ payload: [UInt8]) -> Bool {
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest else { return false }
            deferredCalls.append(.send(opcode, payload))
            return true
        case .refused: return false
        case .engine(let engine): return engine.send(opcode, payload)
        }
    }

    /// Sends a ping (hybi only); `onPong` runs when a pong with the same payload arrives.
    /// - Returns: `false` for a payload over 125 bytes, on draft-75/76, or once closing.
    @discardableResult
    public func ping(_ payload: [UInt8] = [], onPong: (() -> Void)? = nil) -> Bool {
        guard payload.count <= 125 else { return false }
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest else { return false }
            deferredCalls.append(.ping(payload, onPong))
            return true
        case .refused: return false
        case .engine(let engine): return engine.ping(payload, onPong: onPong)
        }
    }

    /// Sends a ping whose payload is the UTF-8 of `text`.
    @discardableResult
    public func ping(_ text: String, onPong: (() -> Void)? = nil) -> Bool {
        ping(Array(text.utf8), onPong: onPong)
    }

    /// Sends an unsolicited pong (hybi only; pings are answered automatically).
    @discardableResult
    public func pong(_ payload: [UInt8] = []) -> Bool {
        guard payload.count <= 125 else { return false }
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest else { return false }
            deferredCalls.append(.pong(payload))
            return true
        case .refused: return false
        case .engine(let engine): return engine.pong(payload)
        }
    }

    /// Starts the closing handshake (when open) or closes at once (before the handshake, with
    /// ``onClose`` fired immediately).
    ///
    /// - Parameters:
    ///   - code: a code that may be sent: 1000–1003, 1007–1014 or 3000–4999; default 1000.
    ///   - reason: UTF-8 text, cut at a character boundary to the 123 bytes a close frame holds.
    /// - Returns: `false` for a code that may not be sent, or when already closing or closed.
    @discardableResult
    public func close(code: CloseCode = .normalClosure, reason: String = "") -> Bool {
        guard code.isValidOnWire else { return false }
        let reasonBytes = CloseReason.truncated(reason)
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest else { return false }
            closedBeforeRequest = true
            deferredCalls = []
            context.onClose?(CloseEvent(code: code, reason: String(decoding: reasonBytes, as: UTF8.self)))
            return true
        case .refused: return false
        case .engine(let engine): return engine.close(code: code, reason: reasonBytes)
        }
    }

    /// Sends one frame as given, bypassing the extensions: the low-level way to stream a
    /// fragmented message (a text or binary frame with `isFinal == false`, then continuation
    /// frames, the last final). Pings and pongs may be interleaved; whole messages sent meanwhile
    /// wait until the streamed one ends.
    ///
    /// - Returns: `false` if the frame breaks the rules: a reserved opcode, a close frame (use
    ///   ``close(code:reason:)``), a control frame over 125 bytes or not final, a continuation
    ///   with no streamed message, a new data frame inside one, or reserved bits no negotiated
    ///   extension uses; also once closing or on draft-75/76.
    @discardableResult
    public func sendFrame(_ frame: Frame) -> Bool {
        switch mode {
        case .awaitingRequest:
            guard !closedBeforeRequest else { return false }
            deferredCalls.append(.frame(frame))
            return true
        case .refused: return false
        case .engine(let engine): return engine.sendFrame(frame)
        }
    }
}
