/// Why an event stream could not be parsed further: a bound was exceeded. The parser keeps no
/// more than the bound, whatever the peer sends.
public enum EventStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line (a field, a comment) grew beyond ``EventStreamParser/Limits/maxLineLength`` bytes
    /// before its line ending.
    case lineTooLong(limit: Int)
    /// An event's data grew beyond ``EventStreamParser/Limits/maxEventLength`` bytes before the
    /// blank line that dispatches it.
    case eventTooLarge(limit: Int)

    /// What went wrong, in a sentence.
    public var description: String {
        switch self {
        case .lineTooLong(let limit):
            return "The event stream sent a line longer than \(limit) bytes"
        case .eventTooLarge(let limit):
            return "The event stream sent an event whose data is larger than \(limit) bytes"
        }
    }
}
