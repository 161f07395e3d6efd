#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the machine was and how busy it was, for the generated document.
struct MachineState: Sendable {
    var cpuModel: String
    var cores: Int
    var memory: String
    var kernel: String
    /// `/proc/loadavg`: 1, 5 and 15 minute load averages.
    var loadAverage: String
    var date: String

    static func capture() -> MachineState {
        let cpuinfo = readFile("/proc/cpuinfo") ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { String($0.trimmingCharacters(in: " ")) } ?? "unknown CPU"
        let meminfo = readFile("/proc/meminfo") ?? ""
        let totalKiB =
            meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .map { Int($0.filter { $0.isNumber }) ?? 0 } ?? 0
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let load = (readFile("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ")
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let date =
            "\(parts.tm_year + 1900)-\(twoDigits(parts.tm_mon + 1))-\(twoDigits(parts.tm_mday)) "
            + "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)) UTC"
        return MachineState(
            cpuModel: model,
            cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memory: "\(totalKiB / 1024 / 1024) GiB",
            kernel: "Linux \(release)",
            loadAverage: load,
            date: date)
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func writeFile(_ path: String, _ text: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else { throw BenchError("short write to \(path)") }
    }
}
