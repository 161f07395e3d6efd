import Glibc
import WebSocketDriver

/// Opens a TCP socket listening on 127.0.0.1 at `port` (0 picks a free port); -1 on failure.
func listenOnLoopback(port: UInt16) -> Int32 {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard listener >= 0, bound == 0, listen(listener, 16) == 0 else { return -1 }
    return listener
}

/// Accepts `connections` connections one after the other and echoes every WebSocket message.
func runBlockingEchoServer(listener: Int32, connections: Int) {
    for _ in 0..<connections {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        serveWebSocket(on: connection)
        close(connection)
    }
}

/// Runs one connection: the driver answers the handshake and frames; this loop only moves bytes.
func serveWebSocket(on connection: Int32) {
    // The output closure writes everything the driver produces, before it returns.
    let driver = Driver.server { bytes in
        var offset = 0
        while offset < bytes.count, let start = bytes.baseAddress {
            let written = write(connection, start + offset, bytes.count - offset)
            guard written > 0 else { return }
            offset += written
        }
    }
    var open = true
    // `unowned`: the driver owns its callbacks, so they must not own the driver.
    driver.onConnect = { [unowned driver] _ in _ = driver.start() }  // writes the 101 or a refusal
    driver.onMessage = { [unowned driver] message in _ = driver.send(message) }  // echo
    driver.onClose = { _ in open = false }
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    while open {
        let count = read(connection, &buffer, buffer.count)
        guard count > 0 else {
            driver.transportClosed()  // the peer went away without a closing handshake: 1006
            return
        }
        buffer.withUnsafeBytes { driver.parse(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
