import ClientAddress
import Testing

/// A small deterministic generator for random splits and inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// How a run of the PROXY header parser over chunks ended.
enum ProxyOutcome: Equatable, CustomStringConvertible {
    /// The header, and how many bytes of the input it took in all.
    case header(ProxyHeader, length: Int)
    case needMoreData
    case error(ProxyHeaderError)

    var description: String {
        switch self {
        case .header(let header, let length): return "header \(header) of \(length) bytes"
        case .needMoreData: return "needMoreData"
        case .error(let error): return "error \(error)"
        }
    }
}

/// Feeds `chunks` to a new parser, one call each, until a header or an error.
func runProxyParser(_ chunks: [ArraySlice<UInt8>], maxV2Length: Int = ProxyHeaderParser.defaultV2MaxLength)
    -> ProxyOutcome
{
    var parser = ProxyHeaderParser(maxV2Length: maxV2Length)
    var offset = 0
    for chunk in chunks {
        do throws(ProxyHeaderError) {
            switch try parser.parse(chunk) {
            case .needMoreData:
                offset += chunk.count
            case .header(let header, let consumed):
                precondition(consumed >= 0 && consumed <= chunk.count, "consumed \(consumed) of \(chunk.count)")
                return .header(header, length: offset + consumed)
            }
        } catch {
            return .error(error)
        }
    }
    return .needMoreData
}

/// Parses `bytes` whole, one byte at a time, split at every point and in seeded random chunks;
/// every chunking must end the same way, which is returned.
func parseProxyEveryWay(
    _ bytes: [UInt8], maxV2Length: Int = ProxyHeaderParser.defaultV2MaxLength,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ProxyOutcome {
    let whole = runProxyParser([bytes[...]], maxV2Length: maxV2Length)
    var chunkings: [[ArraySlice<UInt8>]] = [bytes.map { [$0][...] }]
    for split in 0...bytes.count {
        chunkings.append([bytes[..<split], bytes[split...]])
    }
    var generator = SplitMix(seed: UInt64(bytes.count) &* 0x9E37_79B9)
    for _ in 0..<20 {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + generator.below(9))
            chunks.append(bytes[start..<end])
            start = end
        }
        chunkings.append(chunks)
    }
    for chunks in chunkings {
        let outcome = runProxyParser(chunks, maxV2Length: maxV2Length)
        #expect(outcome == whole, "chunks \(chunks.map(\.count))", sourceLocation: sourceLocation)
    }
    return whole
}

/// The bytes of a version 1 line with its CRLF.
func v1(_ line: String) -> [UInt8] {
    Array((line + "\r\n").utf8)
}

/// Builds version 2 headers byte by byte.
struct V2Builder {
    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    var versionAndCommand: UInt8 = 0x21
    var familyAndTransport: UInt8 = 0x11
    var addresses: [UInt8] = []
    var tlvs: [UInt8] = []
    /// Overrides the length field (otherwise that of the addresses and TLVs).
    var lengthOverride: Int?

    static func tcp4(_ source: [UInt8], _ destination: [UInt8], _ sourcePort: UInt16, _ destinationPort: UInt16)
        -> V2Builder
    {
        V2Builder(familyAndTransport: 0x11, addresses: source + destination + be16(sourcePort) + be16(destinationPort))
    }

    static func tcp6(_ source: [UInt8], _ destination: [UInt8], _ sourcePort: UInt16, _ destinationPort: UInt16)
        -> V2Builder
    {
        V2Builder(familyAndTransport: 0x21, addresses: source + destination + be16(sourcePort) + be16(destinationPort))
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    mutating func addTLV(_ type: UInt8, _ value: [UInt8]) {
        tlvs += [type] + Self.be16(UInt16(value.count)) + value
    }

    var bytes: [UInt8] {
        let length = lengthOverride ?? (addresses.count + tlvs.count)
        return Self.signature + [versionAndCommand, familyAndTransport] + Self.be16(UInt16(length)) + addresses + tlvs
    }

    /// The bytes with a CRC32C TLV appended and filled in.
    var bytesWithChecksum: [UInt8] {
        var copy = self
        copy.addTLV(0x03, [0, 0, 0, 0])
        var bytes = copy.bytes
        let crc = crc32c(bytes)
        bytes.replaceSubrange(
            (bytes.count - 4)...,
            with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        return bytes
    }
}

/// CRC-32C written out independently of the module's, for building headers.
func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for index in 0..<256 {
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        table[index] = value
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// An address from text the test knows to be valid.
func ip(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> IPAddress {
    guard let address = IPAddress(text) else {
        Issue.record("\(text) does not parse", sourceLocation: sourceLocation)
        return .ipv4(0, 0, 0, 0)
    }
    return address
}

func endpoint(_ text: String, _ port: UInt16, sourceLocation: SourceLocation = #_sourceLocation) -> SocketEndpoint {
    SocketEndpoint(address: ip(text, sourceLocation: sourceLocation), port: port)
}
