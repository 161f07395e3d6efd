import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-bench bomb`: how much a server's resident memory grows while a peer attacks one
/// connection with a message that must not fit, and how much stays after the connection ends.
///
/// The server runs alone in a child process (`faye-bench idle-probe`, permessage-deflate on,
/// the default `maxLength` of 64 MiB); this process is the attacker. Per repetition: a fresh
/// probe, one warm-up connection, one unmeasured bomb, then the cases one after the other. Per
/// case: `malloc_trim(0)` in the probe and its `VmRSS` as the baseline; then the probe's peak is
/// reset (`echo 5 > /proc/PID/clear_refs`), the attack runs, and the peak is the probe's
/// `VmHWM`; after the 1009 (or the attacker going away) the probe trims again and its `VmRSS` is
/// the memory left.
struct BombBench {
    let settings: BenchSettings

    /// The server's message limit: the default of `WebSocketOptions.maxLength`.
    static let maxLength = DriverOptions.defaultMaxLength
    /// What the limit promises beyond `maxLength`, at the peak and after: 8 MiB.
    static let slack = 8 << 20
    /// The fragment size of the fragmented attacks.
    static let fragment = 64 << 10

    static let unfinishedCase = "plain 64 MiB in 64 KiB fragments, never finished"
    static let peakUnit = "MiB over baseline at the peak"
    static let afterUnit = "MiB over baseline after"
    static let untrimmedUnit = "MiB over baseline after, before malloc_trim"

    enum Attack {
        /// The compressed payload in one frame (or in 64 KiB fragments); the server must close
        /// with 1009.
        case deflateBomb(payload: [UInt8], fragmented: Bool)
        /// Uncompressed fragments up to just under `maxLength`, then a ping (answered once the
        /// server has read everything), then the attacker goes away.
        case unfinished(bytes: Int)
    }

    func run(into report: Report) throws {
        Limits.raiseFileDescriptors()
        // 1 GiB of zeros (256 MiB with --quick, still four times the limit).
        let inflated = settings.quick ? 256 : 1024
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let bomb = try RawDeflate.compress(zeros, times: inflated)
        let label = settings.quick ? "256 MiB" : "1 GiB"
        let cases: [(String, Attack)] = [
            ("deflate bomb \(label) zeros, one frame", .deflateBomb(payload: bomb, fragmented: false)),
            ("deflate bomb \(label) zeros, 64 KiB fragments", .deflateBomb(payload: bomb, fragmented: true)),
            (Self.unfinishedCase, .unfinished(bytes: Self.maxLength / Self.fragment * Self.fragment)),
        ]
        let selected = cases.filter { settings.includes($0.0) }
        guard !selected.isEmpty else { return }
        let repetitions = settings.quick ? 1 : min(settings.repetitions, 3)
        var peaks = [[Double]](repeating: [], count: selected.count)
        var afters = [[Double]](repeating: [], count: selected.count)
        var untrimmed = [[Double]](repeating: [], count: selected.count)
        for _ in 0..<repetitions {
            let results = try Self.measure(selected.map(\.1), priming: .deflateBomb(payload: bomb, fragmented: false))
            for (index, result) in results.enumerated() {
                peaks[index].append(Double(result.peak) / 1_048_576)
                afters[index].append(Double(result.after) / 1_048_576)
                untrimmed[index].append(Double(result.untrimmed) / 1_048_576)
            }
        }
        for (index, (name, _)) in selected.enumerated() {
            report.add(
                BenchRow(
                    bench: "bomb", name: name, ours: Measure.median(peaks[index]),
                    reference: Double(Self.maxLength + Self.slack) / 1_048_576, unit: Self.peakUnit,
                    higherIsBetter: false, referenceName: "maxLength + 8 MiB"))
            report.add(
                BenchRow(
                    bench: "bomb", name: name, ours: Measure.median(afters[index]),
                    reference: Double(Self.slack) / 1_048_576, unit: Self.afterUnit, higherIsBetter: false,
                    referenceName: "8 MiB"))
            report.add(
                BenchRow(
                    bench: "bomb", name: name, ours: Measure.median(untrimmed[index]),
                    reference: Double(Self.slack) / 1_048_576, unit: Self.untrimmedUnit, higherIsBetter: false,
                    referenceName: "8 MiB"))
        }
    }

    /// The attacks, one after the other on one fresh probe (as a long-running server meets
    /// them), after one unmeasured `priming` attack: each one's peak growth and what stays, in
    /// bytes over the baseline taken just before it (after glibc's free memory is trimmed, and
    /// before).
    ///
    /// The priming matters: once glibc has freed a large mapped block, it raises its
    /// `mmap` threshold (up to 32 MiB), and later large buffers come from its heap, where they
    /// stay resident after being freed; a fresh process would hide that.
    static func measure(_ attacks: [Attack], priming: Attack) throws -> [(peak: Int, after: Int, untrimmed: Int)] {
        let child = try ChildProcess(arguments: ["faye-bench", "idle-probe", "--server", "ours"])
        defer { child.finish() }
        guard let line = child.readLine(), let port = Int(line) else {
            throw BenchError("the probe did not start")
        }
        // Warm-up: one compressed message each way, so that one-time allocations are counted
        // in the baseline.
        var warmup = BenchSocket(fd: try IdleClient.open(port: port, offerDeflate: true))
        defer { warmup.close() }
        try CompressedIdleBench.exchange(on: &warmup, message: CompressedIdleBench.message(number: 0))
        try attack(priming, port: port)
        var results: [(peak: Int, after: Int, untrimmed: Int)] = []
        for attack in attacks {
            let baseline = try trimmedResidentBytes(of: child)
            guard ProcessPeak.reset(pid: child.pid) else { throw BenchError("cannot reset the probe's peak") }
            try Self.attack(attack, port: port)
            guard let peak = ProcessPeak.peakBytes(pid: child.pid) else { throw BenchError("cannot read VmHWM") }
            usleep(300_000)
            guard let untrimmed = ProcessMemory.residentBytes(pid: child.pid) else {
                throw BenchError("cannot read the probe's resident size")
            }
            let after = try trimmedResidentBytes(of: child)
            results.append((peak - baseline, after - baseline, untrimmed - baseline))
        }
        return results
    }

    /// Runs one attack on a new connection; returns once the server has failed it with 1009
    /// (a bomb) or has read every fragment (the endless message), after closing the socket.
    static func attack(_ attack: Attack, port: Int) throws {
        var attacker = BenchSocket(fd: try IdleClient.open(port: port, offerDeflate: true))
        defer { attacker.close() }
        switch attack {
        case .deflateBomb(let payload, let fragmented):
            let frames = Self.frames(payload, opcode: 0x42, fragment: fragmented ? Self.fragment : payload.count)
            _ = attacker.writeAll(frames)
            guard try Self.closeCode(on: &attacker) == 1009 else {
                throw BenchError("the server did not close with 1009")
            }
        case .unfinished(let bytes):
            var frames = Self.frames([UInt8](repeating: 0x61, count: bytes), opcode: 0x02, fragment: Self.fragment)
            // Drop the final frame's FIN: the message never ends. Then a ping, answered once
            // the server has read all of it.
            frames = Self.unfinished(frames)
            WireFrames.append(to: &frames, isFinal: true, opcode: 0x09, payload: [1, 2, 3], key: 0x1234_5678)
            guard attacker.writeAll(frames) else { throw BenchError("the server closed during the fragments") }
            while let frame = attacker.readFrame(), frame.first & 0x0F != 0x0A {}
        }
    }

    /// `payload` as one data message in frames of at most `fragment` bytes, masked.
    static func frames(_ payload: [UInt8], opcode: UInt8, fragment: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + payload.count / max(1, fragment) * 14 + 14)
        var start = 0
        repeat {
            let end = min(payload.count, start + fragment)
            WireFrames.append(
                to: &bytes, isFinal: end == payload.count, opcode: start == 0 ? opcode : 0x00,
                payload: payload[start..<end], key: 0x0102_0304)
            start = end
        } while start < payload.count
        return bytes
    }

    /// Clears the FIN bit of the last frame of `frames` (built by ``frames(_:opcode:fragment:)``
    /// with `fragment`-byte frames): the message stays unfinished.
    static func unfinished(_ frames: [UInt8]) -> [UInt8] {
        var bytes = frames
        // Each 64 KiB frame: 2 + 8 (length) + 4 (mask) header bytes.
        let lastHeader = bytes.count - (Self.fragment + 14)
        bytes[lastHeader] &= 0x7F
        return bytes
    }

    /// Reads until the server's close frame and returns its code (`nil` if it closed without).
    static func closeCode(on socket: inout BenchSocket) throws -> Int? {
        while let frame = socket.readFrame() {
            guard frame.first & 0x0F == 0x08 else { continue }
            guard frame.payload.count >= 2 else { return nil }
            return Int(frame.payload[0]) << 8 | Int(frame.payload[1])
        }
        return nil
    }

    /// Waits for the probe to settle, asks it to `malloc_trim(0)`, and reads its `VmRSS`.
    static func trimmedResidentBytes(of child: ChildProcess) throws -> Int {
        usleep(300_000)
        child.writeLine("trim")
        guard child.readLine() == "trimmed" else { throw BenchError("the probe did not answer") }
        guard let bytes = ProcessMemory.residentBytes(pid: child.pid) else {
            throw BenchError("cannot read the probe's resident size")
        }
        return bytes
    }
}

/// A process's peak resident size, and resetting it.
enum ProcessPeak {
    /// Sets `VmHWM` back to the current `VmRSS` (`echo 5 > /proc/PID/clear_refs`).
    static func reset(pid: pid_t) -> Bool {
        guard let file = fopen("/proc/\(pid)/clear_refs", "w") else { return false }
        defer { fclose(file) }
        return fputs("5", file) >= 0
    }

    /// `VmHWM` of a process, in bytes.
    static func peakBytes(pid: pid_t) -> Int? {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmHWM:") else { continue }
            return Int(text.dropFirst(6).filter { $0.isNumber }).map { $0 * 1024 }
        }
        return nil
    }
}
