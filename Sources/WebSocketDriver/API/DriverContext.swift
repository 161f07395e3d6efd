/// What every engine of a driver shares: the output sink and the event callbacks.
final class DriverContext {
    let output: (UnsafeRawBufferPointer) -> Void
    var onConnect: ((IncomingRequest) -> Void)?
    var onOpen: (() -> Void)?
    var onMessage: ((WebSocketMessage) -> Void)?
    var onError: ((ProtocolError) -> Void)?
    var onClose: ((CloseEvent) -> Void)?
    var onPing: (([UInt8]) -> Void)?
    var onPong: (([UInt8]) -> Void)?

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
