/// What every engine of a driver shares: the output sink and the event callbacks.
final class DriverContext {
    let output: (UnsafeRawBufferPointer) -> Void
    var onOpen: (() -> Void)?
    var onMessage: ((WebSocketMessage) -> Void)?
    var onMessageView: ((WebSocketMessageKind, RawSpan) -> Void)?
    var onError: ((ProtocolError) -> Void)?
    var onClose: ((CloseEvent) -> Void)?
    /// The callbacks many connections never set, allocated when one is: an open connection
    /// without them stays smaller.
    private var rare: RareCallbacks?

    var onConnect: ((IncomingRequest) -> Void)? {
        get { rare?.onConnect }
        set { rareCallbacks(creating: newValue != nil)?.onConnect = newValue }
    }

    var onPing: (([UInt8]) -> Void)? {
        get { rare?.onPing }
        set { rareCallbacks(creating: newValue != nil)?.onPing = newValue }
    }

    var onPong: (([UInt8]) -> Void)? {
        get { rare?.onPong }
        set { rareCallbacks(creating: newValue != nil)?.onPong = newValue }
    }

    /// The rare callbacks' storage; made only when `creating` (a callback is being set).
    private func rareCallbacks(creating: Bool) -> RareCallbacks? {
        if let rare { return rare }
        guard creating else { return nil }
        let made = RareCallbacks()
        rare = made
        return made
    }

    init(output: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.output = output
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { output($0) }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { output(UnsafeRawBufferPointer($0)) }
    }

    /// Delivers a message whose bytes are at `bytes`: lent to `onMessageView` when it is set,
    /// otherwise to `onMessage` as the owned message `owned` makes (only then).
    func deliver(_ kind: WebSocketMessageKind, _ bytes: UnsafeRawBufferPointer, owned: () -> WebSocketMessage) {
        if let view = onMessageView {
            view(kind, bytes.bytes)
        } else {
            onMessage?(owned())
        }
    }

    /// Delivers a text message made as a `String`.
    func deliver(_ text: String) {
        guard let view = onMessageView else {
            onMessage?(.text(text))
            return
        }
        var text = text
        text.withUTF8 { view(.text, UnsafeRawBufferPointer($0).bytes) }
    }

    /// Reports a failure: the error, then the close.
    func fail(_ error: ProtocolError) {
        onError?(error)
        onClose?(CloseEvent(code: error.closeCode, reason: error.description))
    }
}
