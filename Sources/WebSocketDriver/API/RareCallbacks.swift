/// The callbacks of a ``DriverContext`` that few connections set (the request of a server
/// driver that parses it, pings and pongs), kept apart so that a context without them is smaller.
final class RareCallbacks {
    var onConnect: ((IncomingRequest) -> Void)?
    var onPing: (([UInt8]) -> Void)?
    var onPong: (([UInt8]) -> Void)?
}
