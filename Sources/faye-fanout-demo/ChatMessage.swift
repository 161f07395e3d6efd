import FayeDemoSupport

/// One message of the chat: its id in the shared table (every instance delivers in this order)
/// and its text.
struct ChatMessage: Sendable, Hashable {
    /// The row's id: unique, and given out in commit order (see ``ChatStore/post(_:)``).
    let id: Int64
    /// The text as posted.
    let text: String

    /// What a WebSocket frame and an EventSource event carry: `{"id":N,"text":"..."}`.
    var json: String { "{\"id\":\(id),\"text\":\(JSONText.quoted(text))}" }

    /// Whether `text` can be stored: PostgreSQL's `text` holds no NUL character.
    static func isStorable(_ text: String) -> Bool {
        !text.utf8.contains(0)
    }
}
