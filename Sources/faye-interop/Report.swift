import FayeDemoSupport

/// One machine-readable result line on stdout per check:
/// `{"check": NAME, "ok": BOOL, "detail": TEXT, "seconds": N}` plus optional integer fields.
enum Report {
    static func line(check: String, ok: Bool, detail: String, seconds: Double, numbers: [String: Int] = [:]) {
        var fields = [
            "\"check\": \(JSONText.quoted(check))",
            "\"ok\": \(ok)",
            "\"detail\": \(JSONText.quoted(detail))",
            "\"seconds\": \((seconds * 1000).rounded() / 1000)",
        ]
        for (key, value) in numbers.sorted(by: { $0.key < $1.key }) {
            fields.append("\(JSONText.quoted(key)): \(value)")
        }
        StandardStream.write(1, "{" + fields.joined(separator: ", ") + "}\n")
    }
}
