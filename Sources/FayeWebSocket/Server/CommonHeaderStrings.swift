/// Well-known header names and values of WebSocket handshakes, as string literals.
///
/// A WebSocket keeps its handshake request while it is open. A name or value longer than 15
/// UTF-8 bytes decoded from the wire is a heap allocation per connection; the same text taken
/// from a string literal costs nothing. ``FayeHTTPHandler`` swaps such strings for these
/// literals when their bytes are exactly equal (never merely canonically equivalent), so the
/// request reads the same.
enum CommonHeaderStrings {
    /// Longer than 15 UTF-8 bytes each (shorter strings are stored inline anyway).
    static let all: [String] = [
        // Names, as browsers and common clients spell them.
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Key1",
        "Sec-WebSocket-Key2",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "X-Forwarded-Proto",
        "x-forwarded-proto",
        // Values: Chrome's and Firefox's extension offers, Firefox's Connection.
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate",
        "keep-alive, Upgrade",
        "gzip, deflate, br",
        "gzip, deflate, br, zstd",
    ]

    /// `text`, or the literal with exactly the same bytes.
    static func shared(_ text: String) -> String {
        let count = text.utf8.count
        guard count > 15 else { return text }
        for candidate in all where candidate.utf8.count == count && candidate.utf8.elementsEqual(text.utf8) {
            return candidate
        }
        return text
    }
}
