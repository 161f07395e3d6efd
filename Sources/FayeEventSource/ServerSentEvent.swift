/// One event of a `text/event-stream` body, and its exact wire format.
///
/// ``EventSource``'s `send(_:event:id:)` frames its arguments with this type; use it directly to
/// write event-stream bodies through something other than an ``EventSource``.
///
/// The fields are written in this order, each line ending in CRLF, and a blank line ends the
/// event:
///
/// ```
/// event: <event>          only when `event` is not nil (an empty string still writes the line)
/// id: <id>                only when `id` is not nil
/// data: <line>            once per line of `data`
/// ```
///
/// `data` is split on every line break (CRLF, CR or LF, a CRLF counting as one) into several
/// `data:` lines, which a client joins back with LF: `"a\r\nb"` arrives as `"a\nb"`. An empty
/// `data` writes a single empty `data:` line, which a client receives as an event with empty data.
///
/// `event` and `id` are single-line fields: a value containing CR or LF (or, for `id`, NUL) would
/// inject other fields, so ``encoded()`` throws instead of writing it.
public struct ServerSentEvent: Sendable, Hashable {
    /// The payload; may contain line breaks.
    public var data: String
    /// The event type (`event:` field); `nil` means the client's default, `message`.
    public var event: String?
    /// The event ID (`id:` field), which a reconnecting client sends back as `Last-Event-ID`;
    /// `nil` writes no `id:` line, an empty string resets the client's last event ID.
    public var id: String?

    /// Creates an event.
    public init(data: String, event: String? = nil, id: String? = nil) {
        self.data = data
        self.event = event
        self.id = id
    }

    /// Throws if `event` or `id` cannot be written as a single field.
    /// - Throws: ``EventSourceError/invalidEventType(_:)`` for an event type containing CR or
    ///   LF, ``EventSourceError/invalidID(_:)`` for an ID containing CR, LF or NUL.
    public func validate() throws(EventSourceError) {
        if let event, event.utf8.contains(where: { $0 == Self.cr || $0 == Self.lf }) {
            throw .invalidEventType(event)
        }
        if let id, id.utf8.contains(where: { $0 == Self.cr || $0 == Self.lf || $0 == 0 }) {
            throw .invalidID(id)
        }
    }

    /// The event's bytes on the wire, ending with the blank line that dispatches it.
    /// - Throws: what ``validate()`` throws.
    public func encoded() throws(EventSourceError) -> [UInt8] {
        try validate()
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + (event?.utf8.count ?? 0) + (id?.utf8.count ?? 0) + 24)
        if let event { Self.appendField("event", event.utf8, to: &out) }
        if let id { Self.appendField("id", id.utf8, to: &out) }
        let bytes = data.utf8
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte == Self.cr || byte == Self.lf else {
                bytes.formIndex(after: &index)
                continue
            }
            Self.appendField("data", bytes[lineStart..<index], to: &out)
            bytes.formIndex(after: &index)
            if byte == Self.cr, index != bytes.endIndex, bytes[index] == Self.lf { bytes.formIndex(after: &index) }
            lineStart = index
        }
        Self.appendField("data", bytes[lineStart..<index], to: &out)
        out.append(contentsOf: Self.crlf)
        return out
    }

    // MARK: - Other lines of the stream

    /// The comment a ping writes: `:` and a blank line, which a client ignores.
    static let pingComment: [UInt8] = Array(":\r\n\r\n".utf8)

    /// The `retry:` field (reconnection time in whole milliseconds) and a blank line.
    static func retryField(_ retry: Duration) -> [UInt8] {
        Array("retry: \(milliseconds(retry))\r\n\r\n".utf8)
    }

    /// A duration in whole milliseconds, rounded down; 0 for a negative one.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max : max(0, product + attoseconds / 1_000_000_000_000_000)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let crlf: [UInt8] = [cr, lf]

    private static func appendField<Bytes: Collection<UInt8>>(_ name: String, _ value: Bytes, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: value)
        out.append(contentsOf: crlf)
    }
}
