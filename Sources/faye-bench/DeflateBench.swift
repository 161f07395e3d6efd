import CZlib
import PermessageDeflate
import WebSocketExtensions

/// `faye-bench deflate`: permessage-deflate compress + inflate of whole messages through our
/// extension sessions (server compresses, client inflates, context takeover on, the defaults
/// faye-server uses), against the same work done by calling zlib directly with the same
/// settings into preallocated buffers (the limit).
struct DeflateBench {
    let settings: BenchSettings

    static let sizes = [1024, 16 * 1024, 64 * 1024]

    func run(into report: Report) throws {
        for text in [true, false] {
            for size in Self.sizes {
                let name = "\(text ? "text" : "binary") \(Size.label(size))" + (text ? "" : " random")
                guard settings.includes(name) else { continue }
                // Distinct messages, 256 KiB or more of them, so that a message is never still in the
                // 32 KiB window when it comes round again (context takeover would make it trivial).
                let messages = (0..<max(16, 256 * 1024 / size)).map { index in
                    text
                        ? Payloads.text(count: size, seed: UInt64(index) + 11)
                        : Payloads.random(count: size, seed: UInt64(index) + 11)
                }
                let configuration = PermessageDeflate()
                let ours = try OurDeflate(configuration: configuration)
                let theirs = try DirectZlib(
                    level: configuration.compressionLevel, memoryLevel: configuration.memoryLevel,
                    largest: size)
                let passBytes = Double(messages.count * size)
                var oursCompressed = 0
                var theirsCompressed = 0
                let rates = try Measure.alternating(
                    repetitions: settings.repetitions,
                    ours: {
                        var failure: (any Error)?
                        let rate = Measure.rate(minimumSeconds: settings.minimumSeconds) {
                            do {
                                oursCompressed = try ours.roundTrip(messages)
                            } catch {
                                failure = error
                            }
                            return passBytes
                        }
                        if let failure { throw failure }
                        return rate
                    },
                    reference: {
                        var failure: (any Error)?
                        let rate = Measure.rate(minimumSeconds: settings.minimumSeconds) {
                            do {
                                theirsCompressed = try theirs.roundTrip(messages)
                            } catch {
                                failure = error
                            }
                            return passBytes
                        }
                        if let failure { throw failure }
                        return rate
                    })
                let referenceName = "zlib called directly"
                report.add(
                    BenchRow(
                        bench: "deflate", name: name, ours: rates.ours / 1e6, reference: rates.reference / 1e6,
                        unit: "MB/s", higherIsBetter: true, referenceName: referenceName))
                report.add(
                    BenchRow(
                        bench: "deflate", name: name, ours: Double(oursCompressed) / passBytes * 100,
                        reference: Double(theirsCompressed) / passBytes * 100, unit: "% of original size",
                        higherIsBetter: false, referenceName: referenceName))
            }
        }
        try IdleReleaseCostBench(settings: settings).run(into: report)
    }
}

/// Failures of the benchmark itself.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A server session compressing and a client session inflating, negotiated with each other.
final class OurDeflate {
    let server: any ServerExtensionSession
    let client: any ClientExtensionSession

    init(configuration: PermessageDeflate) throws {
        guard let client = configuration.makeClientSession() else { throw BenchError("no client session") }
        guard let server = configuration.makeServerSession(offers: client.generateOffer()) else {
            throw BenchError("the server declined the offer")
        }
        try client.activate(server.generateResponse())
        self.client = client
        self.server = server
    }

    deinit {
        server.close()
        client.close()
    }

    /// Compresses and inflates each message; returns the compressed bytes.
    func roundTrip(_ messages: [[UInt8]]) throws -> Int {
        var compressed = 0
        for payload in messages {
            let outgoing = try server.processOutgoingMessage(Message(opcode: .text, payload: payload))
            compressed += outgoing.payload.count
            let incoming = try client.processIncomingMessage(outgoing, maxLength: Int.max)
            guard incoming.payload.count == payload.count else { throw BenchError("inflated size differs") }
        }
        return compressed
    }
}

/// One deflate and one inflate stream, called directly: the message, a sync flush, the
/// `00 00 ff ff` tail dropped from the count (and kept for inflate, as the receiver appends it).
final class DirectZlib {
    private let deflater: UnsafeMutablePointer<z_stream>
    private let inflater: UnsafeMutablePointer<z_stream>
    private var compressed: [UInt8]
    private var inflated: [UInt8]

    init(level: Int, memoryLevel: Int, largest: Int) throws {
        deflater = .allocate(capacity: 1)
        deflater.initialize(to: z_stream())
        inflater = .allocate(capacity: 1)
        inflater.initialize(to: z_stream())
        let size = Int32(MemoryLayout<z_stream>.size)
        guard
            deflateInit2_(
                deflater, Int32(level), Z_DEFLATED, -15, Int32(memoryLevel), Z_DEFAULT_STRATEGY, ZLIB_VERSION, size)
                == Z_OK,
            inflateInit2_(inflater, -15, ZLIB_VERSION, size) == Z_OK
        else {
            throw BenchError("zlib refused the settings")
        }
        compressed = [UInt8](repeating: 0, count: Int(deflateBound(deflater, uLong(largest))) + 64)
        inflated = [UInt8](repeating: 0, count: largest + 64)
    }

    deinit {
        deflateEnd(deflater)
        inflateEnd(inflater)
        deflater.deallocate()
        inflater.deallocate()
    }

    func roundTrip(_ messages: [[UInt8]]) throws -> Int {
        var total = 0
        for payload in messages {
            let produced = payload.withUnsafeBufferPointer { input in
                compressed.withUnsafeMutableBufferPointer { output in
                    deflater.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                    deflater.pointee.avail_in = UInt32(input.count)
                    deflater.pointee.next_out = output.baseAddress
                    deflater.pointee.avail_out = UInt32(output.count)
                    let status = deflate(deflater, Z_SYNC_FLUSH)
                    return status == Z_OK && deflater.pointee.avail_out > 0
                        ? output.count - Int(deflater.pointee.avail_out) : -1
                }
            }
            guard produced >= 4 else { throw BenchError("deflate failed") }
            total += produced - 4
            let restored = compressed.withUnsafeMutableBufferPointer { input in
                inflated.withUnsafeMutableBufferPointer { output in
                    inflater.pointee.next_in = input.baseAddress
                    inflater.pointee.avail_in = UInt32(produced)
                    inflater.pointee.next_out = output.baseAddress
                    inflater.pointee.avail_out = UInt32(output.count)
                    let status = inflate(inflater, Z_SYNC_FLUSH)
                    return status == Z_OK ? output.count - Int(inflater.pointee.avail_out) : -1
                }
            }
            guard restored == payload.count else { throw BenchError("inflate failed") }
        }
        return total
    }
}
