extension EventSource {
    /// Whether `request` opens an EventSource: a `GET` whose `Accept` lists `text/event-stream`.
    ///
    /// Every `Accept` field is read as a list (RFC 9110 §12.5.1): the media type is compared
    /// ASCII case-insensitively, parameters such as `;q=1` or `;charset=utf-8` are allowed, and
    /// quoted parameter values may hold commas. A range with `q=0` ("not acceptable") does not
    /// count, nor do wildcards (`*/*`, `text/*`): browsers name `text/event-stream` explicitly.
    public static func isEventSourceRequest(_ request: IncomingRequest) -> Bool {
        guard request.method == "GET" else { return false }
        return request.headers.values(for: "Accept").contains { value in
            AcceptList.elements(of: value).contains { element in
                let parts = AcceptList.split(element, on: UInt8(ascii: ";"))
                guard let type = parts.first, AcceptList.equalsIgnoringCase(type, "text/event-stream") else {
                    return false
                }
                return !parts.dropFirst().contains { AcceptList.isZeroQuality($0) }
            }
        }
    }

    /// The last event ID a reconnecting client reports: the `Last-Event-ID` header, or else the
    /// `lastEventId` query parameter (percent-decoded, `+` as a space) that EventSource polyfills
    /// send because they cannot set headers; `""` when there is neither.
    public static func lastEventID(of request: IncomingRequest) -> String {
        if let header = request.headers.first("Last-Event-ID"), !header.isEmpty { return header }
        guard let query = request.query else { return "" }
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard formDecode(pair[..<equals]) == "lastEventId" else { continue }
            return equals == pair.endIndex ? "" : formDecode(pair[pair.index(after: equals)...])
        }
        return ""
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a malformed
    /// escape stays as it is; invalid UTF-8 becomes U+FFFD.
    private static func formDecode(_ bytes: Substring.UTF8View) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = hexValue(bytes, index),
                let low = hexValue(bytes, bytes.index(after: index))
            {
                out.append(high << 4 | low)
                bytes.formIndex(&index, offsetBy: 2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ bytes: Substring.UTF8View, _ index: String.Index) -> UInt8? {
        guard index != bytes.endIndex else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return bytes[index] - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return bytes[index] - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return bytes[index] - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension ServerRequest {
    /// Whether this request opens an EventSource (see ``EventSource/isEventSourceRequest(_:)``).
    public var isEventSource: Bool { EventSource.isEventSourceRequest(request) }

    /// The last event ID the client reports (see ``EventSource/lastEventID(of:)``).
    public var lastEventID: String { EventSource.lastEventID(of: request) }
}

/// The list syntax of `Accept`: comma-separated elements, `;`-separated parameters, optional
/// whitespace, quoted strings with backslash escapes. Linear time.
enum AcceptList {
    typealias Bytes = ArraySlice<UInt8>

    /// The non-empty elements of a list, trimmed.
    static func elements(of value: String) -> [Bytes] {
        split(ArraySlice(value.utf8), on: UInt8(ascii: ","))
    }

    /// Splits on `separator` outside quoted strings; trims each part, drops empty ones.
    static func split(_ bytes: Bytes, on separator: UInt8) -> [Bytes] {
        var parts: [Bytes] = []
        var start = bytes.startIndex
        var inQuotes = false
        var escaped = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if inQuotes {
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == separator {
                appendTrimmed(bytes[start..<index], to: &parts)
                start = index + 1
            }
            index += 1
        }
        appendTrimmed(bytes[start..<bytes.endIndex], to: &parts)
        return parts
    }

    /// Whether a parameter is `q=0` (or `q=0.0`, `q=0.000`).
    static func isZeroQuality(_ parameter: Bytes) -> Bool {
        guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else { return false }
        let name = trimmed(parameter[parameter.startIndex..<equals])
        guard equalsIgnoringCase(name, "q") else { return false }
        let value = trimmed(parameter[(equals + 1)...])
        guard value.first == UInt8(ascii: "0") else { return false }
        let rest = value.dropFirst()
        return rest.isEmpty
            || (rest.first == UInt8(ascii: ".") && rest.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") })
    }

    static func equalsIgnoringCase(_ bytes: Bytes, _ text: String) -> Bool {
        bytes.count == text.utf8.count
            && zip(bytes, text.utf8).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func trimmed(_ bytes: Bytes) -> Bytes {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private static func appendTrimmed(_ bytes: Bytes, to parts: inout [Bytes]) {
        let part = trimmed(bytes)
        if !part.isEmpty { parts.append(part) }
    }
}
