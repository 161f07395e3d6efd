import CZlib
import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes from a hex string such as `"f2 48 cd"`.
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").compactMap { UInt8($0, radix: 16) }
}

/// A text message with RSV1 clear.
func textMessage(_ text: String) -> Message {
    Message(opcode: .text, payload: Array(text.utf8))
}

/// A message as it arrives compressed: RSV1 set.
func compressedMessage(_ payload: [UInt8], opcode: Opcode = .text) -> Message {
    Message(opcode: opcode, reservedBits: .rsv1, payload: payload)
}

/// A configuration that compresses every message (threshold 0), as the RFC examples need.
func compressEverything(
    noContextTakeover: Bool = false,
    requestNoContextTakeover: Bool = false,
    maxWindowBits: Int? = nil,
    requestMaxWindowBits: Int? = nil
) throws -> PermessageDeflate {
    try PermessageDeflate(
        noContextTakeover: noContextTakeover,
        requestNoContextTakeover: requestNoContextTakeover,
        maxWindowBits: maxWindowBits,
        requestMaxWindowBits: requestMaxWindowBits,
        compressionThreshold: 0
    )
}

/// A client session, not yet activated.
func clientSession(_ configuration: PermessageDeflate = PermessageDeflate()) throws -> PermessageDeflateClientSession {
    try #require(configuration.makeClientSession() as? PermessageDeflateClientSession)
}

/// A client session activated with `response` (e.g. `"server_no_context_takeover"`).
func activatedClient(
    _ configuration: PermessageDeflate = PermessageDeflate(),
    response: String = ""
) throws -> PermessageDeflateClientSession {
    let session = try clientSession(configuration)
    try session.activate(try parameters(response))
    return session
}

/// A server session for the offer `offer`, or `nil` if declined.
func serverSession(
    _ configuration: PermessageDeflate = PermessageDeflate(),
    offers: [String] = [""]
) throws -> PermessageDeflateServerSession? {
    let parsed = try offers.map { try parameters($0) }
    guard let session = configuration.makeServerSession(offers: parsed) else { return nil }
    return try #require(session as? PermessageDeflateServerSession)
}

/// Parameters parsed from the text after `permessage-deflate; ` (empty for none).
func parameters(_ text: String) throws -> ExtensionParameters {
    let header = text.isEmpty ? "permessage-deflate" : "permessage-deflate; " + text
    let offers = try ExtensionHeader.parse(header)
    return try #require(offers.first).parameters
}

/// Serialized parameters, for comparing with expected strings.
func describe(_ parameters: ExtensionParameters) -> String {
    parameters.description
}

/// The two ends of a negotiated connection.
struct Connection {
    let offerHeader: String?
    let responseHeader: String?
    let client: ExtensionPipeline
    let server: ExtensionPipeline

    /// Negotiates through two registries, as a client and a server driver would.
    init(client: PermessageDeflate, server: PermessageDeflate) throws {
        var clientRegistry = ExtensionRegistry()
        try clientRegistry.add(client)
        var serverRegistry = ExtensionRegistry()
        try serverRegistry.add(server)
        let negotiation = try clientRegistry.makeClientNegotiation()
        offerHeader = negotiation.offerHeader
        let answer = try serverRegistry.negotiateServer(offerHeader: negotiation.offerHeader)
        responseHeader = answer.responseHeader
        self.server = answer.pipeline
        self.client = try negotiation.activate(responseHeader: answer.responseHeader)
    }

    /// Sends from the client to the server; returns the wire message and the received one.
    func clientSends(_ message: Message, maxLength: Int = Int.max) throws -> (wire: Message, received: Message) {
        let wire = try client.processOutgoing(message)
        return (wire, try server.processIncoming(wire, maxLength: maxLength))
    }

    /// Sends from the server to the client; returns the wire message and the received one.
    func serverSends(_ message: Message, maxLength: Int = Int.max) throws -> (wire: Message, received: Message) {
        let wire = try server.processOutgoing(message)
        return (wire, try client.processIncoming(wire, maxLength: maxLength))
    }

    func close() {
        client.close()
        server.close()
    }
}

/// Payload generators for round trips.
enum Payloads {
    private static let words = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "{\"id\":", "\"name\":",
        "\"value\":", "true", "false", "null", "WebSocket", "deflate", "message", "é", "日本", "🙂",
    ]

    /// Text made of a small vocabulary: compressible, valid UTF-8.
    static func text(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 16)
        while bytes.count < count {
            bytes.append(contentsOf: words[Int(generator.next() % UInt64(words.count))].utf8)
            bytes.append(0x20)
        }
        return bytes
    }

    /// Uniformly random bytes: incompressible.
    static func random(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var index = 0
            while index + 8 <= buffer.count {
                buffer.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < buffer.count {
                buffer[index] = UInt8(truncatingIfNeeded: generator.next())
                index += 1
            }
        }
        return bytes
    }

    /// Runs of repeated bytes with random lengths, plus repeats far apart.
    static func runs(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let byte = UInt8(truncatingIfNeeded: generator.next())
            let length = Int(generator.next() % 300) + 1
            bytes.append(contentsOf: repeatElement(byte, count: min(length, count - bytes.count)))
        }
        return bytes
    }

    /// A mixed sequence of payloads, including empty ones and sizes around the default
    /// threshold.
    static func mixed(seed: UInt64, messages: Int, maximumSize: Int) -> [[UInt8]] {
        var generator = SplitMix64(seed: seed)
        var result: [[UInt8]] = [[], Array("Hello".utf8)]
        let thresholds = [
            0, 1, PermessageDeflate.defaultCompressionThreshold - 1, PermessageDeflate.defaultCompressionThreshold,
        ]
        for size in thresholds {
            result.append(text(count: size, using: &generator).prefix(size).map { $0 })
        }
        for index in 0..<messages {
            let size = Int(generator.next() % UInt64(maximumSize + 1))
            switch index % 3 {
            case 0: result.append(text(count: size, using: &generator))
            case 1: result.append(random(count: size, using: &generator))
            default: result.append(runs(count: size, using: &generator))
            }
        }
        return result
    }
}

/// A raw zlib inflater owned by the tests, to check our output independently of the module,
/// e.g. with an 8-bit window.
final class ReferenceInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init(windowBits: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, -windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        try #require(status == Z_OK)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates `payload + 00 00 ff ff`; returns `nil` on a zlib error.
    func inflate(_ payload: [UInt8]) -> [UInt8]? {
        var input = payload + [0x00, 0x00, 0xFF, 0xFF]
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        return input.withUnsafeMutableBufferPointer { inputBuffer -> [UInt8]? in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    output.append(contentsOf: out.prefix(out.count - Int(stream.pointee.avail_out)))
                    return status
                }
                guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else { return nil }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return output }
            }
        }
    }
}

/// A raw zlib deflater owned by the tests, to build inputs the module never produces (bombs,
/// large windows, BFINAL blocks).
final class ReferenceDeflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init(windowBits: Int32 = 15, level: Int32 = 9, strategy: Int32 = Z_DEFAULT_STRATEGY) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, -windowBits, 8, strategy, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)
        )
        try #require(status == Z_OK)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Deflates `input` with `flush` and returns what zlib wrote.
    func deflate(_ input: [UInt8], flush: Int32) -> [UInt8] {
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    _ = CZlib.deflate(stream, flush)
                    output.append(contentsOf: out.prefix(out.count - Int(stream.pointee.avail_out)))
                }
            } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
        }
        return output
    }

    /// Deflates a message the RFC 7692 way: sync flush, tail stripped.
    func message(_ input: [UInt8]) -> [UInt8] {
        Array(deflate(input, flush: Z_SYNC_FLUSH).dropLast(4))
    }
}

/// Reads a `kB` field of `/proc/self/status` (e.g. `VmRSS`, `VmHWM`) in bytes.
func processStatus(_ field: String) -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix(field + ":") else { continue }
        let digits = text.dropFirst(field.count + 1).filter { $0.isNumber }
        return Int(digits).map { $0 * 1024 }
    }
    return nil
}

/// Resets the process's peak resident set size (`VmHWM`) to the current one.
func resetPeakResidentSize() {
    guard let file = fopen("/proc/self/clear_refs", "w") else { return }
    fputs("5", file)
    fclose(file)
}
