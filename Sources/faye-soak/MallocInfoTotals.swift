/// The process-wide totals at the end of glibc's `malloc_info` report (after the last `</heap>`):
/// bytes the arenas got from the system, bytes they hold free, and bytes in mapped chunks.
struct MallocInfoTotals {
    var systemCurrent: Int
    var free: Int
    var mapped: Int

    /// Bytes handed out and not yet freed.
    var inUse: Int { systemCurrent - free + mapped }

    init(xml: String) throws {
        let lines = xml.split(separator: "\n")
        guard let lastHeap = lines.lastIndex(where: { $0.contains("</heap>") }) else {
            throw SoakFailure("malloc_info: no heap in the report")
        }
        // Each total is a line such as `<total type="fast" count="0" size="0"/>`.
        var sizes: [String: Int] = [:]
        for line in lines[(lastHeap + 1)...] {
            guard let type = Self.attribute("type", in: line), let size = Self.attribute("size", in: line) else {
                continue
            }
            let element = line.drop { $0 == " " || $0 == "<" }.prefix { $0 != " " }
            sizes["\(element) \(type)"] = Int(size)
        }
        guard let fast = sizes["total fast"], let rest = sizes["total rest"], let mapped = sizes["total mmap"],
            let current = sizes["system current"]
        else { throw SoakFailure("malloc_info: totals missing (found \(sizes.keys.sorted()))") }
        self.systemCurrent = current
        self.free = fast + rest
        self.mapped = mapped
    }

    /// The value of `name="…"` in an XML element's line.
    private static func attribute(_ name: String, in line: Substring) -> Substring? {
        guard let start = line.firstRange(of: " \(name)=\"") else { return nil }
        return line[start.upperBound...].prefix { $0 != "\"" }
    }
}
