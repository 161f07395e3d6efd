import FayeTestSupport
import NIOCore
import NIOHPACK
import WebSocketDriver

@testable import FayeWebSocket

/// HTTP/2 frames as bytes, for tests that speak to the server frame by frame.
enum H2Wire {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum FrameType: UInt8 {
        case data = 0x0, headers = 0x1, rstStream = 0x3, settings = 0x4, ping = 0x6, goAway = 0x7, windowUpdate = 0x8
    }

    static let endStream: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let ack: UInt8 = 0x1

    static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type.rawValue, flags]
            + bigEndian(stream & 0x7FFF_FFFF) + payload
    }

    static func settings(_ pairs: [(UInt16, UInt32)] = []) -> [UInt8] {
        frame(.settings, stream: 0, pairs.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xFF)] + bigEndian($0.1) })
    }

    static func data(stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(.data, flags: endStream ? Self.endStream : 0, stream: stream, bytes)
    }

    static func rstStream(stream: UInt32, code: UInt32) -> [UInt8] {
        frame(.rstStream, stream: stream, bigEndian(code))
    }

    static func windowUpdate(stream: UInt32, increment: UInt32) -> [UInt8] {
        frame(.windowUpdate, stream: stream, bigEndian(increment))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A frame the server wrote; HEADERS come decoded.
    struct Frame: Sendable, CustomStringConvertible {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
        var headers: [(String, String)] = []

        var isEndStream: Bool { flags & H2Wire.endStream != 0 && (type == 0 || type == 1) }
        var status: Int? { headers.first { $0.0 == ":status" }.flatMap { Int($0.1) } }
        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
        var errorCode: UInt32? {
            guard type == FrameType.rstStream.rawValue || type == FrameType.goAway.rawValue else { return nil }
            let offset = type == FrameType.goAway.rawValue ? 4 : 0
            guard payload.count >= offset + 4 else { return nil }
            return payload[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }

        var description: String {
            "frame(type \(type), flags \(flags), stream \(stream), \(payload.count) bytes\(headers.isEmpty ? "" : ", \(headers)"))"
        }
    }
}

/// An HTTP/2 connection to an ``EmbeddedServer`` configured for prior knowledge, spoken frame by
/// frame: the test's HPACK encoder and decoder keep their tables across the connection.
final class H2Session: @unchecked Sendable {
    let server: EmbeddedServer
    private let state = Locked(State())

    private struct State {
        var encoder = HPACKEncoder(allocator: ByteBufferAllocator(), useHuffmanEncoding: false)
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
        var unparsed: [UInt8] = []
        var frames: [H2Wire.Frame] = []
    }

    private init(server: EmbeddedServer) {
        self.server = server
    }

    /// A connection: the preface and empty SETTINGS sent, the server's SETTINGS received and acknowledged.
    static func open(
        configuration: FayeServer.Configuration = H2Session.configuration(),
        options: WebSocketOptions = WebSocketOptions(),
        responder: FayeHTTPHandler.Responder? = nil
    ) async throws -> (H2Session, settings: H2Wire.Frame) {
        let server = try await EmbeddedServer.connect(
            configuration: configuration, options: options, responder: responder)
        let session = H2Session(server: server)
        try await server.receive(H2Wire.preface + H2Wire.settings())
        let settings = try await session.next("the server's SETTINGS") {
            $0.type == H2Wire.FrameType.settings.rawValue && $0.flags == 0
        }
        try await server.receive(H2Wire.frame(.settings, flags: H2Wire.ack, stream: 0))
        return (session, settings)
    }

    /// A server configuration with prior knowledge on.
    static func configuration(_ change: (inout FayeServer.Configuration) -> Void = { _ in }) -> FayeServer.Configuration
    {
        var configuration = FayeServer.Configuration()
        configuration.http2.acceptsPriorKnowledge = true
        change(&configuration)
        return configuration
    }

    /// Sends HEADERS (END_HEADERS) with `fields` in order.
    func sendHeaders(stream: UInt32, _ fields: [(String, String)], endStream: Bool = false) async throws {
        let block = try state.withLock { state -> [UInt8] in
            var buffer = ByteBuffer()
            var headers = HPACKHeaders()
            for (name, value) in fields { headers.add(name: name, value: value) }
            try state.encoder.encode(headers: headers, to: &buffer)
            return Array(buffer.readableBytesView)
        }
        let flags = H2Wire.endHeaders | (endStream ? H2Wire.endStream : 0)
        try await server.receive(H2Wire.frame(.headers, flags: flags, stream: stream, block))
    }

    /// An extended CONNECT for a WebSocket on `stream`.
    func sendWebSocketConnect(stream: UInt32, path: String = "/chat", extra: [(String, String)] = []) async throws {
        try await sendHeaders(
            stream: stream,
            [
                (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", path),
                (":authority", "example.com"), ("sec-websocket-version", "13"),
            ] + extra)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await server.receive(bytes)
    }

    /// Parses what the server wrote so far into frames (HEADERS decoded in order).
    private func collect() throws {
        let output = server.takeOutput()
        try state.withLock { state in
            state.unparsed += output
            while state.unparsed.count >= 9 {
                let bytes = state.unparsed
                let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
                guard bytes.count >= 9 + length else { break }
                let stream = bytes[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
                var frame = H2Wire.Frame(
                    type: bytes[3], flags: bytes[4], stream: stream, payload: Array(bytes[9..<9 + length]))
                if frame.type == H2Wire.FrameType.headers.rawValue {
                    var buffer = ByteBuffer(bytes: frame.payload)
                    let decoded = try state.decoder.decodeHeaders(from: &buffer)
                    frame.headers = decoded.map { ($0.name, $0.value) }
                }
                state.frames.append(frame)
                state.unparsed.removeFirst(9 + length)
            }
        }
    }

    /// Waits for (and takes) the first frame matching `predicate`; earlier ones stay.
    func next(
        _ what: String, timeout: Duration = .seconds(5), _ predicate: @escaping @Sendable (H2Wire.Frame) -> Bool
    ) async throws -> H2Wire.Frame {
        try await eventuallyValue(what, timeout: timeout) { () -> H2Wire.Frame? in
            try self.collect()
            return self.state.withLock { state in
                guard let index = state.frames.firstIndex(where: predicate) else { return nil }
                return state.frames.remove(at: index)
            }
        }
    }

    /// The next frame on `stream` of `type`.
    func next(_ type: H2Wire.FrameType, stream: UInt32, timeout: Duration = .seconds(5)) async throws -> H2Wire.Frame {
        try await next("a \(type) frame on stream \(stream)", timeout: timeout) {
            $0.type == type.rawValue && $0.stream == stream
        }
    }

    /// The frames collected so far on `stream` (taken).
    func takeFrames(stream: UInt32) throws -> [H2Wire.Frame] {
        try collect()
        return state.withLock { state in
            let taken = state.frames.filter { $0.stream == stream }
            state.frames.removeAll { $0.stream == stream }
            return taken
        }
    }
}
