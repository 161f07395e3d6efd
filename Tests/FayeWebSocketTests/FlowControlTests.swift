import FayeTestSupport
import FayeWebSocket
import NIOCore
import Testing
import WebSocketDriver

/// Payloads for the flow-control tests (Embedded/FlowControlEmbeddedTests.swift): messages that
/// carry their index.
enum FlowControlTests {
    /// A 64 KiB message that carries its index in its first four bytes.
    static func chunk(_ index: Int, size: Int = 64 * 1024) -> [UInt8] {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        for shift in 0..<4 { bytes[shift] = UInt8(truncatingIfNeeded: index >> (8 * (3 - shift))) }
        return bytes
    }

    static func index(of message: WebSocketMessage) -> Int? {
        guard case .binary(let bytes) = message, bytes.count >= 4 else { return nil }
        return bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }
}
