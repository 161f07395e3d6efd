/// The process-wide totals at the end of glibc's `malloc_info` report (after the last `</heap>`):
/// bytes the arenas got from the system, bytes they hold free, and bytes in mapped chunks.
struct MallocInfoTotals {
    var systemCurrent = 0
    var free = 0
    var mapped = 0

    /// Bytes handed out and not yet freed.
    var inUse: Int { systemCurrent - free + mapped }

    init(xml: String) throws {
        let lines = xml.split(separator: "\n")
        guard let lastHeap = lines.lastIndex(where: { $0.contains("</heap>") }) else {
            throw SoakFailure("malloc_info: no heap in the report")
        }
        var seen = Set<String>()
        for line in lines[(lastHeap + 1)...] {
            let kind: String
            if line.contains("<total type=\"fast\"") || line.contains("<total type=\"rest\"") {
                kind = line.contains("\"fast\"") ? "fast" : "rest"
                free += try Self.size(in: line)
            } else if line.contains("<total type=\"mmap\"") {
                kind = "mmap"
                mapped = try Self.size(in: line)
            } else if line.contains("<system type=\"current\"") {
                kind = "current"
                systemCurrent = try Self.size(in: line)
            } else {
                continue
            }
            seen.insert(kind)
        }
        guard seen.count == 4 else { throw SoakFailure("malloc_info: totals missing (found \(seen.sorted()))") }
    }

    /// The value of the `size="…"` attribute.
    private static func size(in line: Substring) throws -> Int {
        guard let start = line.firstRange(of: "size=\"") else { throw SoakFailure("malloc_info: no size in \(line)") }
        let digits = line[start.upperBound...].prefix { $0 != "\"" }
        guard let value = Int(digits) else { throw SoakFailure("malloc_info: bad size in \(line)") }
        return value
    }
}
