import FayeTestSupport
import Testing
import WebSocketExtensions

@testable import PermessageDeflate

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether the measurements were asked for (`PMD_MEASURE=1`); they print figures for the
/// documentation and take a while, so a normal test run skips them.
private let measuring = getenv("PMD_MEASURE").map { String(cString: $0) == "1" } ?? false

/// Chat-like JSON messages: the same keys every time, varying values.
enum Corpus {
    private static let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    private static let words = [
        "hello", "the", "meeting", "is", "at", "noon", "see", "you", "there", "thanks", "ok", "great", "deploy",
        "finished", "build", "failed", "on", "main", "can", "someone", "look", "lunch", "?", "!", "tomorrow",
    ]

    static func json(_ generator: inout SplitMix64, textWords: Int) -> [UInt8] {
        var text: [String] = []
        for _ in 0..<textWords { text.append(words[Int(generator.next() % UInt64(words.count))]) }
        let user = names[Int(generator.next() % UInt64(names.count))]
        let id = 100_000 + Int(generator.next() % 900_000)
        let stamp = 1_700_000_000_000 + Int(generator.next() % 1_000_000_000)
        let body =
            "{\"type\":\"message\",\"id\":\(id),\"user\":{\"name\":\"\(user)\",\"id\":\(id % 97)},"
            + "\"text\":\"\(text.joined(separator: " "))\",\"ts\":\(stamp)}"
        return Array(body.utf8)
    }

    /// Messages whose sizes spread from tiny to a few KiB.
    static func messages(count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in json(&generator, textWords: Int(generator.next() % 40)) }
    }
}

/// `PMD_MEASURE_MEMORY=window,memoryLevel,takeover`, parsed.
private let memoryConfiguration: [Int]? = {
    guard let text = getenv("PMD_MEASURE_MEMORY").map({ String(cString: $0) }) else { return nil }
    let values = text.split(separator: ",").compactMap { Int($0) }
    return values.count == 3 ? values : nil
}()

/// Returns free heap pages to the system (glibc `malloc_trim(0)`, looked up at run time since
/// `malloc.h` is not part of the Glibc module), so that new allocations show up in `VmRSS`.
private func releaseFreeHeap() {
    #if os(Linux)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    #endif
}

/// Monotonic time in nanoseconds.
private func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

@Suite("Measurements for the documentation", .serialized, .enabled(if: measuring || memoryConfiguration != nil))
struct MeasurementTests {
    /// Memory per session, for the configuration `PMD_MEASURE_MEMORY=window,memoryLevel,takeover`
    /// (e.g. `15,5,1`; takeover 0 means no context takeover either way). Run it once per process,
    /// since freed heap memory would hide a second run's growth.
    ///
    /// A client and a server session per connection (same options): first idle after
    /// negotiation, then after one 2 KiB JSON message each way, then after 64 KiB of text each
    /// way, which touches every buffer zlib allocated. Figures are resident memory divided by the
    /// number of sessions (one end of a connection each).
    @Test("Resident memory per session", .enabled(if: memoryConfiguration != nil))
    func memoryPerSession() throws {
        let values = try #require(memoryConfiguration)
        let (windowBits, memoryLevel, takeover) = (values[0], values[1], values[2] != 0)
        let connections = 300
        var generator = SplitMix64(seed: 7)
        var small = Corpus.json(&generator, textWords: 30)
        while small.count < 2048 { small += Corpus.json(&generator, textWords: 30) }
        let large = (0..<4).map { _ in Payloads.text(count: 16_384, using: &generator) }
        let configuration = try PermessageDeflate(
            memoryLevel: memoryLevel,
            noContextTakeover: !takeover,
            requestNoContextTakeover: !takeover,
            maxWindowBits: windowBits,
            requestMaxWindowBits: windowBits
        )
        var live: [Connection] = []
        live.reserveCapacity(connections)
        let sessions = connections * 2
        releaseFreeHeap()
        let before = processStatus("VmRSS") ?? 0
        for _ in 0..<connections { live.append(try Connection(client: configuration, server: configuration)) }
        let idle = processStatus("VmRSS") ?? 0
        for connection in live {
            _ = try connection.clientSends(Message(opcode: .text, payload: small))
            _ = try connection.serverSends(Message(opcode: .text, payload: small))
        }
        let light = processStatus("VmRSS") ?? 0
        for connection in live {
            for payload in large {
                _ = try connection.clientSends(Message(opcode: .text, payload: payload))
                _ = try connection.serverSends(Message(opcode: .text, payload: payload))
            }
        }
        let busy = processStatus("VmRSS") ?? 0
        print(
            "MEASURE memory window \(windowBits) memLevel \(memoryLevel) takeover \(takeover): "
                + "idle \((idle - before) / sessions) B, after 2 KiB each way \((light - before) / sessions / 1024) KiB, "
                + "after 64 KiB each way \((busy - before) / sessions / 1024) KiB per session"
        )
        for connection in live { connection.close() }
        live.removeAll()
    }

    /// Compression ratio and time of the settings, on JSON chat messages and on larger text.
    @Test(
        "Compression ratio by window and memory level",
        .enabled(if: measuring),
        arguments: [(15, 8, -1), (15, 5, -1), (12, 8, -1), (12, 5, -1), (10, 4, -1), (15, 8, 1), (12, 5, 1)]
    )
    func ratio(windowBits: Int, memoryLevel: Int, level: Int) throws {
        let configuration = try PermessageDeflate(
            compressionLevel: level,
            memoryLevel: memoryLevel,
            maxWindowBits: windowBits,
            compressionThreshold: 0
        )
        var generator = SplitMix64(seed: 3)
        let corpora: [(String, [[UInt8]])] = [
            ("JSON chat", Corpus.messages(count: 4000, seed: 5)),
            ("16 KiB text", (0..<64).map { _ in Payloads.text(count: 16_384, using: &generator) }),
        ]
        for (name, messages) in corpora {
            let session = try activatedClient(configuration)
            var raw = 0
            var compressed = 0
            let start = now()
            for message in messages {
                raw += message.count
                compressed += try session.processOutgoingMessage(Message(opcode: .text, payload: message)).payload.count
            }
            let elapsed = Double(now() - start) / 1_000_000
            print(
                "MEASURE ratio window \(windowBits) memLevel \(memoryLevel) level \(level) \(name): "
                    + "\(compressed) of \(raw) B (\(Double(compressed * 1000 / raw) / 10) %), \(elapsed) ms"
            )
        }
    }

    /// Compressed size and time per message, by message size, to choose the threshold.
    @Test("Compression gain by message size", .enabled(if: measuring))
    func thresholdGain() throws {
        let sizes = [1, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256, 512, 1024]
        let corpus = Corpus.messages(count: 4000, seed: 11)
        for size in sizes {
            var takeover = 0
            var fresh = 0
            var random = 0
            var generator = SplitMix64(seed: UInt64(size))
            let samples = corpus.prefix(2000).map { Array($0.suffix(size)) }
            let warm = try activatedClient(try PermessageDeflate(compressionThreshold: 0))
            for message in corpus.suffix(200) {
                _ = try warm.processOutgoingMessage(Message(opcode: .text, payload: message))
            }
            let start = now()
            for sample in samples {
                takeover += try warm.processOutgoingMessage(Message(opcode: .text, payload: sample)).payload.count
            }
            let takeoverTime = Double(now() - start) / Double(samples.count) / 1000
            let cold = try activatedClient(try PermessageDeflate(noContextTakeover: true, compressionThreshold: 0))
            let coldStart = now()
            for sample in samples {
                fresh += try cold.processOutgoingMessage(Message(opcode: .text, payload: sample)).payload.count
            }
            let freshTime = Double(now() - coldStart) / Double(samples.count) / 1000
            let noise = try activatedClient(try PermessageDeflate(compressionThreshold: 0))
            for _ in 0..<samples.count {
                let bytes = Payloads.random(count: size, using: &generator)
                random += try noise.processOutgoingMessage(Message(opcode: .binary, payload: bytes)).payload.count
            }
            let count = Double(samples.count)
            print(
                "MEASURE size \(size): JSON with takeover \(Double(takeover) / count) B (\(takeoverTime) us), "
                    + "JSON without takeover \(Double(fresh) / count) B (\(freshTime) us), random \(Double(random) / count) B"
            )
        }
    }
}
