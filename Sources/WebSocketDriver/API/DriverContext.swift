/// What every engine of a driver shares: the output sink and the event callbacks.
final class DriverContext {
    let output: (UnsafeRawBufferPointer) -> Void
    var onOpen: (() -> Void)?
    var onMessage: ((WebSocketMessage) -> Void)?
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

    /// Reports a failure: the error, then the close.
    func fail(_ error: ProtocolError) {
        onError?(error)
        onClose?(CloseEvent(code: error.closeCode, reason: error.description))
    }
}
