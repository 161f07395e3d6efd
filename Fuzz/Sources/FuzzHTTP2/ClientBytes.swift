import NIOCore
import NIOHPACK

/// HTTP/2 frame types (RFC 9113 §6).
enum FrameType: UInt8 {
    case data = 0x0
    case headers = 0x1
    case priority = 0x2
    case rstStream = 0x3
    case settings = 0x4
    case ping = 0x6
    case goAway = 0x7
    case windowUpdate = 0x8
    case continuation = 0x9
}

/// Frame flags used by the client side of the harness.
enum FrameFlag {
    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let padded: UInt8 = 0x8
}

/// The client's side of the connection as bytes: frames are written by hand (a 9-byte header,
/// then the payload), header blocks with NIO's HPACK encoder, whose dynamic table then matches
/// the server's decoder, or as raw literals that carry any bytes.
struct ClientBytes {
    /// Bytes written and not yet delivered to the server.
    var pending: [UInt8] = []
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())

    mutating func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32, payload: [UInt8] = []) {
        frame(rawType: type.rawValue, flags: flags, stream: stream, payload: payload)
    }

    mutating func frame(rawType: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) {
        let length = payload.count
        pending += [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        pending += [rawType, flags]
        pending += bigEndian(stream & 0x7FFF_FFFF)
        pending += payload
    }

    mutating func raw(_ bytes: [UInt8]) {
        pending += bytes
    }

    /// Takes the bytes written so far.
    mutating func take() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// A header block for `fields`, each in its own representation.
    mutating func headerBlock(_ fields: [HeaderField]) -> [UInt8] {
        var block = ByteBuffer()
        for field in fields {
            // NIO's encoder takes ASCII names only; any other name goes as a raw literal.
            let representation = field.name.allSatisfy { $0 < 0x80 } ? field.representation : .literal
            switch representation {
            case .indexed, .neverIndexed:
                var headers = HPACKHeaders()
                headers.add(
                    name: String(decoding: field.name, as: UTF8.self),
                    value: String(decoding: field.value, as: UTF8.self),
                    indexing: representation == .indexed ? .indexable : .neverIndexed
                )
                // Appends to `block`; the encoder only fails when misused.
                try? encoder.encode(headers: headers, to: &block)
            case .literal:
                // Literal header field without indexing, new name, no Huffman coding (RFC 7541 §6.2.2).
                block.writeInteger(UInt8(0x00))
                Self.writeString(field.name, to: &block)
                Self.writeString(field.value, to: &block)
            }
        }
        return Array(block.readableBytesView)
    }

    /// An HPACK string literal: a 7-bit-prefix length with the Huffman bit clear, then the bytes.
    private static func writeString(_ bytes: [UInt8], to block: inout ByteBuffer) {
        var length = bytes.count
        if length < 127 {
            block.writeInteger(UInt8(length))
        } else {
            block.writeInteger(UInt8(127))
            length -= 127
            while length >= 128 {
                block.writeInteger(UInt8(length & 0x7F | 0x80))
                length >>= 7
            }
            block.writeInteger(UInt8(length))
        }
        block.writeBytes(bytes)
    }
}

/// One field of a request header block.
struct HeaderField {
    enum Representation {
        /// By NIO's encoder, added to the dynamic table (Huffman-coded).
        case indexed
        /// By NIO's encoder, never indexed.
        case neverIndexed
        /// A raw literal written here: any bytes, even ones a String cannot hold.
        case literal
    }

    var name: [UInt8]
    var value: [UInt8]
    var representation = Representation.indexed

    init(_ name: String, _ value: String) {
        self.name = Array(name.utf8)
        self.value = Array(value.utf8)
    }

    init(name: [UInt8], value: [UInt8], representation: Representation) {
        self.name = name
        self.value = value
        self.representation = representation
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

func bigEndian(_ value: UInt16) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

/// The mask key of the client's WebSocket frames (the one `make-corpus.py` uses).
let maskKey: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

/// A WebSocket frame (RFC 6455 §5.2) with `first` as its first byte (FIN, RSV1–3, opcode).
func makeWebSocketFrame(first: UInt8, payload: [UInt8], masked: Bool, longForm: Bool) -> [UInt8] {
    var frame = [first]
    let maskBit: UInt8 = masked ? 0x80 : 0
    if payload.count < 126 && !longForm {
        frame.append(maskBit | UInt8(payload.count))
    } else {
        frame.append(maskBit | 126)
        frame += bigEndian(UInt16(payload.count))
    }
    guard masked else { return frame + payload }
    frame += maskKey
    for (index, byte) in payload.enumerated() {
        frame.append(byte ^ maskKey[index & 3])
    }
    return frame
}
