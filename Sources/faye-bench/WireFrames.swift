import WebSocketDriver

/// Builds the wire bytes the benchmarks feed in: frames as a peer would send them, and the
/// handshakes that open a driver.
enum WireFrames {
    /// Appends one frame: masked with `key` when given (a client's frame), else unmasked.
    static func append(
        to buffer: inout [UInt8],
        isFinal: Bool,
        opcode: UInt8,
        payload: ArraySlice<UInt8>,
        key: UInt32?
    ) {
        buffer.append((isFinal ? 0x80 : 0) | opcode)
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        let length = payload.count
        if length <= 125 {
            buffer.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: length >> 8))
            buffer.append(UInt8(truncatingIfNeeded: length))
        } else {
            buffer.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        guard let key else {
            buffer.append(contentsOf: payload)
            return
        }
        let keyBytes = withUnsafeBytes(of: key) { Array($0) }
        buffer.append(contentsOf: keyBytes)
        var index = 0
        for byte in payload {
            buffer.append(byte ^ keyBytes[index & 3])
            index += 1
        }
    }

    /// Messages of `payload` repeated to about `totalBytes` of wire, each split into `fragments`
    /// frames; masked (a client's frames) when `masked`. Returns the bytes and the message count.
    static func stream(
        payload: [UInt8],
        opcode: UInt8,
        fragments: Int,
        masked: Bool,
        totalBytes: Int
    ) -> (bytes: [UInt8], messages: Int) {
        var generator = Payloads.Generator(state: 7)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(totalBytes + payload.count + 64)
        var messages = 0
        let pieces = max(1, fragments)
        let pieceSize = (payload.count + pieces - 1) / pieces
        repeat {
            for piece in 0..<pieces {
                let start = min(piece * pieceSize, payload.count)
                let end = piece == pieces - 1 ? payload.count : min(start + pieceSize, payload.count)
                append(
                    to: &bytes,
                    isFinal: piece == pieces - 1,
                    opcode: piece == 0 ? opcode : 0,
                    payload: payload[start..<end],
                    key: masked ? UInt32(truncatingIfNeeded: generator.next()) : nil
                )
            }
            messages += 1
        } while bytes.count < totalBytes
        return (bytes, messages)
    }

    /// A client's opening handshake for a server driver.
    static func clientRequest(offeringDeflate: Bool = false) -> [UInt8] {
        var text =
            "GET /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if offeringDeflate { text += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The server's 101 answering a client driver's request (found in `request`).
    static func serverResponse(answering request: [UInt8]) -> [UInt8]? {
        let text = String(decoding: request, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sec-websocket-key" else { continue }
            let key = parts[1].trimmingCharacters(in: " ")
            let accept = Driver.acceptValue(forKey: String(key))
            return Array(
                ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(accept)\r\n\r\n").utf8)
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result.removeFirst() }
        while result.last == set { result.removeLast() }
        return result
    }
}
