import FayeDemoSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One measured case: our figure and the reference's, from the same run.
struct BenchRow: Sendable {
    /// The benchmark: `parse`, `frame`, `deflate`, `echo`, `idle`.
    var bench: String
    /// The case, starting with the payload kind and size (`binary 16 B`, `text 1 KiB client`).
    var name: String
    var ours: Double
    var reference: Double
    var unit: String
    /// Whether a larger figure is better (throughput) or a smaller one (latency, bytes).
    var higherIsBetter: Bool
    /// What the reference is, for the tables.
    var referenceName: String
    /// False for a row that describes the measurement rather than compares us with the
    /// reference (the load generator's own cost, say): its tables have no ratio column.
    var compared = true

    /// Greater than 1 when we are better.
    var ratio: Double {
        guard ours > 0, reference > 0 else { return 0 }
        return higherIsBetter ? ours / reference : reference / ours
    }

    /// The DESIGN §3 JSON object, on one line.
    var json: String {
        "{\"bench\": \(JSONText.quoted(bench)), \"case\": \(JSONText.quoted(name)), \"ours\": \(Self.number(ours)), "
            + "\"reference\": \(Self.number(reference)), \"unit\": \(JSONText.quoted(unit)), "
            + "\"ratio\": \(Self.number(ratio))}"
    }

    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return Format.plain(value, significant: 6)
    }
}

/// Collects the rows; prints each as JSON when asked, otherwise one table per benchmark.
final class Report {
    let json: Bool
    private(set) var rows: [BenchRow] = []

    init(json: Bool) {
        self.json = json
    }

    func add(_ row: BenchRow) {
        rows.append(row)
        if json {
            Output.standardOutput(row.json + "\n")
        } else {
            Progress.note(
                "\(row.bench) \(row.name): ours \(Format.figure(row.ours)) \(row.unit), "
                    + "reference \(Format.figure(row.reference)) \(row.unit)"
                    + (row.compared ? ", ratio \(Format.ratio(row.ratio))" : ""))
        }
    }

    /// Prints the tables (nothing in JSON mode).
    func printTables() {
        guard !json else { return }
        for table in Table.group(rows) {
            Output.standardOutput(table.markdown + "\n")
        }
    }
}

/// A Markdown table of the rows of one benchmark and unit.
struct Table {
    var bench: String
    var unit: String
    var referenceName: String
    var rows: [BenchRow]

    /// Groups rows by benchmark and unit, in the order they were measured.
    static func group(_ rows: [BenchRow]) -> [Table] {
        var tables: [Table] = []
        for row in rows {
            if let index = tables.firstIndex(where: { $0.bench == row.bench && $0.unit == row.unit }) {
                tables[index].rows.append(row)
            } else {
                tables.append(Table(bench: row.bench, unit: row.unit, referenceName: row.referenceName, rows: [row]))
            }
        }
        return tables
    }

    var markdown: String {
        guard rows.allSatisfy(\.compared) else { return measurementMarkdown }
        var text = "\(bench) (\(unit), \(rows.first?.higherIsBetter == false ? "lower" : "higher") is better)\n\n"
        text += "| case | swift-faye | \(referenceName) | ratio |\n"
        text += "| --- | ---: | ---: | ---: |\n"
        for row in rows {
            text +=
                "| \(row.name) | \(Format.figure(row.ours)) | \(Format.figure(row.reference)) | "
                + "\(Format.ratio(row.ratio)) |\n"
        }
        return text
    }

    /// The table of rows that are not compared: the figures side by side, no ratio.
    private var measurementMarkdown: String {
        var text = "\(bench) (\(unit), a measurement, not a comparison)\n\n"
        text += "| case | swift-faye | \(referenceName) |\n"
        text += "| --- | ---: | ---: |\n"
        for row in rows {
            text += "| \(row.name) | \(Format.figure(row.ours)) | \(Format.figure(row.reference)) |\n"
        }
        return text
    }
}

/// Number formatting without Foundation.
enum Format {
    /// Three significant digits, with a thousands separator for large figures.
    static func figure(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        guard value >= 1000 else { return plain(value, significant: 3) }
        let scale = pow(10, Double(Int(log10(value)) - 2))
        return figureGrouped(Int((value / scale).rounded() * scale))
    }

    private static func figureGrouped(_ value: Int) -> String {
        var digits = String(value)
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(digits, at: 0)
        return groups.joined(separator: ",")
    }

    /// A ratio with two decimals and an ×.
    static func ratio(_ value: Double) -> String {
        fixed(value, decimals: 2) + "×"
    }

    /// `value` with a fixed number of decimals.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        let scale = pow(10, Double(decimals))
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        let fractionText = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - fractionText.count) + fractionText
    }

    /// `value` with `significant` significant digits, no exponent.
    static func plain(_ value: Double, significant: Int) -> String {
        guard value != 0, value.isFinite else { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        let decimals = max(0, significant - 1 - magnitude)
        return fixed(value, decimals: min(decimals, 9))
    }
}

/// Progress lines on standard error, so that standard output holds only the results.
enum Progress {
    static func note(_ line: String) {
        Output.write(line + "\n", to: 2)
    }
}

/// Unbuffered writes to the standard streams.
enum Output {
    static func standardOutput(_ text: String) {
        write(text, to: 1)
    }

    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
