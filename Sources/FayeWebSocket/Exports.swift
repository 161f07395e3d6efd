// The socket API speaks in the driver's value types (`WebSocketMessage`, `CloseEvent`,
// `CloseCode`, `HeaderFields`, `IncomingRequest`, …); re-exporting the driver spares users a
// second import.
@_exported public import WebSocketDriver
