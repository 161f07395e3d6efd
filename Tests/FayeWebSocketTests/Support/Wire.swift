import WebSocketDriver

/// An HTTP response read in raw mode.
struct RawHTTPResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// A complete response at the start of `bytes` and its length, or `nil` when incomplete.
    static func parse(_ bytes: [UInt8]) -> (RawHTTPResponse, Int)? {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == terminator })
        else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            return (String(line[..<colon]), String(value))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = end + 4
        guard status == 101 || bytes.count >= bodyStart + length else { return nil }
        let bodyLength = status == 101 ? 0 : length
        let response = RawHTTPResponse(
            status: status,
            headers: headers,
            body: Array(bytes[bodyStart..<(bodyStart + bodyLength)])
        )
        return (response, bodyStart + bodyLength)
    }
}

/// Hand-made handshake requests and frames.
enum WebSocketHandshakes {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    static func url(host: String, port: Int, path: String) -> String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "ws://\(hostPart):\(port)\(path)"
    }

    /// An upgrade request; `overrides` replace (or, with an empty value, remove) default headers.
    static func request(
        path: String = "/",
        method: String = "GET",
        version: String = "HTTP/1.1",
        overrides: [(String, String)] = [],
        extra: [(String, String)] = []
    ) -> String {
        var headers: [(String, String)] = [
            ("Host", "127.0.0.1"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        for (name, value) in overrides {
            headers.removeAll { $0.0 == name }
            if !value.isEmpty { headers.append((name, value)) }
        }
        headers += extra
        var text = "\(method) \(path) \(version)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    /// A masked (client-to-server) frame.
    static func maskedFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let count = payload.count
        if count < 126 {
            frame.append(0x80 | UInt8(count))
        } else if count < 65536 {
            frame += [0x80 | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((count >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        frame += mask
        for (index, byte) in payload.enumerated() { frame.append(byte ^ mask[index % 4]) }
        return frame
    }

    static func maskedText(_ text: String) -> [UInt8] {
        maskedFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// The unmasked frames (server to client) in `bytes`, as (opcode, payload); stops at an
    /// incomplete frame.
    static func serverFrames(_ bytes: [UInt8]) -> [(opcode: UInt8, payload: [UInt8])] {
        var frames: [(opcode: UInt8, payload: [UInt8])] = []
        var index = 0
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126 {
                guard start + 2 <= bytes.count else { break }
                length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
                start += 2
            } else if length == 127 {
                guard start + 8 <= bytes.count else { break }
                length = bytes[start..<(start + 8)].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= bytes.count else { break }
            frames.append((opcode, Array(bytes[start..<(start + length)])))
            index = start + length
        }
        return frames
    }
}
