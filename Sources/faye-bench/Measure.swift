#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Clocks and repetition for the benchmarks.
enum Measure {
    /// CPU time of the calling thread, in seconds: what a single-threaded micro-benchmark
    /// costs, less sensitive than wall time to the other work on a shared machine.
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Monotonic wall time in nanoseconds.
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Runs `body` (one pass over the workload, returning the units it processed) until at least
    /// `minimumSeconds` of thread CPU time have passed; returns units per CPU second.
    static func rate(minimumSeconds: Double, _ body: () -> Double) -> Double {
        _ = body()  // warm-up pass: caches, lazily grown buffers
        var units = 0.0
        let start = threadCPUSeconds()
        var elapsed = 0.0
        repeat {
            units += body()
            elapsed = threadCPUSeconds() - start
        } while elapsed < minimumSeconds
        return units / elapsed
    }

    /// Runs ours and the reference alternately `repetitions` times and returns the medians.
    static func alternating(
        repetitions: Int,
        ours: () throws -> Double,
        reference: () throws -> Double
    ) rethrows -> (ours: Double, reference: Double) {
        var oursValues: [Double] = []
        var referenceValues: [Double] = []
        for index in 0..<repetitions {
            // Swap the order every other repetition so neither side always runs first.
            if index % 2 == 0 {
                oursValues.append(try ours())
                referenceValues.append(try reference())
            } else {
                referenceValues.append(try reference())
                oursValues.append(try ours())
            }
        }
        return (median(oursValues), median(referenceValues))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The value at `fraction` (0...1) of sorted samples (nearest rank).
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// Payload sizes and their labels (`16 B`, `1 KiB`, `64 KiB`, `1 MiB`).
enum Size {
    static func label(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }
}

/// Deterministic payloads: the same bytes on every run.
struct Payloads {
    /// A small, fast, seeded generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let words: [String] = [
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by",
        "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
        "they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
        "more", "when", "will", "would", "who", "so", "no", "message", "frame", "socket", "server",
        "client", "connection", "protocol", "handshake", "extension", "payload", "buffer", "event",
        "stream", "compression", "window", "close", "ping", "pong", "text", "binary", "network",
        "latency", "throughput", "memory", "thread", "loop", "channel", "request", "response", "header",
    ]

    private static let otherWords: [String] = [
        "café", "naïve", "façade", "über", "señor", "Zürich", "résumé", "déjà", "vu", "smörgåsbord",
        "—", "“quoted”", "日本語", "текст", "données", "Ελληνικά", "emoji 🙂",
    ]

    /// Text in the shape of prose: ASCII words with about one in twenty accented or non-Latin,
    /// cut to `count` bytes at a character boundary and padded with spaces to exactly `count`.
    static func text(count: Int, seed: UInt64 = 1) -> [UInt8] {
        var generator = Generator(state: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 32)
        var sentence = 0
        while bytes.count < count {
            // About one word in twenty is accented or non-Latin.
            let random = generator.next()
            let list = random % 20 == 0 ? otherWords : words
            let word = list[Int((random >> 8) % UInt64(list.count))]
            let next = Array(word.utf8)
            if bytes.count + next.count + 2 > count {
                break
            }
            bytes.append(contentsOf: next)
            sentence += 1
            if sentence % 12 == 0 {
                bytes.append(contentsOf: Array(".\n".utf8))
            } else {
                bytes.append(0x20)
            }
        }
        while bytes.count < count { bytes.append(0x20) }
        return bytes
    }

    /// Uniformly random bytes (incompressible).
    static func random(count: Int, seed: UInt64 = 2) -> [UInt8] {
        var generator = Generator(state: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                index += 1
            }
        }
        return bytes
    }
}
