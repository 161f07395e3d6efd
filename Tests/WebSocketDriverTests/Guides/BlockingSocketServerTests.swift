import Foundation
import Glibc
import Testing
import WebSocketDriver

/// Runs the blocking-socket server of Docs/Guides/Driver-In-Your-Own-IO.md on loopback and talks
/// to it with a client driver over a plain blocking socket.
@Suite("Guide: the blocking-socket server")
struct BlockingSocketServerTests {
    @Test("answers the handshake, echoes text and binary, and closes cleanly; a plain GET is refused")
    func echo() throws {
        let listener = listenOnLoopback(port: 0)
        try #require(listener >= 0)
        defer { close(listener) }
        let port = try Self.port(of: listener)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            runBlockingEchoServer(listener: listener, connections: 2)
            finished.signal()
        }

        // A WebSocket client: handshake, two echoes, closing handshake.
        let socket = try Self.connect(port: port)
        defer { close(socket) }
        var received: [WebSocketMessage] = []
        var closeEvent: CloseEvent?
        let client = try Driver.client(url: "ws://127.0.0.1:\(port)/echo") { bytes in
            _ = write(socket, bytes.baseAddress, bytes.count)
        }
        client.onOpen = { [unowned client] in
            _ = client.text("hello, blocking world")
            _ = client.binary([0, 1, 2, 255])
        }
        client.onMessage = { [unowned client] message in
            received.append(message)
            if received.count == 2 { _ = client.close(code: .normalClosure, reason: "done") }
        }
        client.onClose = { closeEvent = $0 }
        #expect(client.start())
        var buffer = [UInt8](repeating: 0, count: 4096)
        while closeEvent == nil {
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { break }  // SO_RCVTIMEO bounds every read to 5 s
            client.parse(buffer[..<count])
        }
        #expect(client.status == 101)
        #expect(received == [.text("hello, blocking world"), .binary([0, 1, 2, 255])])
        #expect(closeEvent == CloseEvent(code: .normalClosure, reason: "done"))

        // An ordinary HTTP request is not a WebSocket: the driver refuses it.
        let plain = try Self.connect(port: port)
        defer { close(plain) }
        let request = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        #expect(write(plain, request, request.count) == request.count)
        var answer: [UInt8] = []
        while true {
            let count = read(plain, &buffer, buffer.count)
            guard count > 0 else { break }
            answer += buffer[..<count]
        }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(finished.wait(timeout: .now() + 5) == .success)
    }

    static func port(of listener: Int32) throws -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        try #require(result == 0)
        return UInt16(bigEndian: address.sin_port)
    }

    /// A blocking client socket connected to 127.0.0.1:`port`, with 5 s read timeouts.
    static func connect(port: UInt16) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(result == 0)
        return socket
    }
}
