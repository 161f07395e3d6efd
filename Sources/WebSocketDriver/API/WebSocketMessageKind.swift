/// What a message lent to ``Driver/onMessageView`` holds.
public enum WebSocketMessageKind: Hashable, Sendable {
    /// Text: the bytes are valid UTF-8 (checked as they arrived, or after the extensions).
    case text
    /// Binary data.
    case binary
}
