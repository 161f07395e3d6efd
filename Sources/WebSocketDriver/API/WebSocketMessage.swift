/// A complete message received from the peer, after every extension has processed it.
public enum WebSocketMessage: Hashable, Sendable {
    /// A text message; its UTF-8 was validated as the bytes arrived.
    case text(String)
    /// A binary message.
    case binary([UInt8])
}
