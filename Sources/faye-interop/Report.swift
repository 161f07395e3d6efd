#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One machine-readable result line on stdout per check:
/// `{"check": NAME, "ok": BOOL, "detail": TEXT, "seconds": N}` plus optional integer fields.
enum Report {
    static func line(check: String, ok: Bool, detail: String, seconds: Double, numbers: [String: Int] = [:]) {
        var fields = [
            "\"check\": \(quoted(check))",
            "\"ok\": \(ok)",
            "\"detail\": \(quoted(detail))",
            "\"seconds\": \((seconds * 1000).rounded() / 1000)",
        ]
        for (key, value) in numbers.sorted(by: { $0.key < $1.key }) {
            fields.append("\(quoted(key)): \(value)")
        }
        write(1, "{" + fields.joined(separator: ", ") + "}\n")
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Writes all of `text` to a file descriptor, unbuffered (a killed process loses nothing).
    static func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                #if canImport(Glibc)
                    let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
                #else
                    let written = Darwin.write(descriptor, base + offset, bytes.count - offset)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
