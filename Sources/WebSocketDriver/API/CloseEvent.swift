/// What a driver reports when its connection ends.
public struct CloseEvent: Hashable, Sendable, CustomStringConvertible {
    /// The close code: the peer's (as validated), the one a failure sent, or the one
    /// ``Driver/close(code:reason:)`` used.
    public var code: CloseCode
    /// The close reason, UTF-8.
    public var reason: String

    /// Creates a close event.
    public init(code: CloseCode, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// The code, then the reason if there is one.
    public var description: String { reason.isEmpty ? "\(code)" : "\(code) \(reason)" }
}
