/// The `text/event-stream` parser of the WHATWG HTML standard ("Parsing an event stream" and
/// "Interpreting an event stream"), sans-IO: bytes in, events out.
///
/// Feed it the body of a response as it arrives, in chunks of any size; it keeps what a chunk
/// leaves unfinished (a partial line, a CR whose LF may come next) for the next one:
///
/// ```swift
/// var parser = EventStreamParser()
/// var outputs: [EventStreamParser.Output] = []
/// try parser.parse(Array("data: hello\n\n".utf8), into: &outputs)
/// // outputs == [.event(MessageEvent(data: "hello"))]
/// ```
///
/// The rules, exactly as the standard's:
/// - A leading UTF-8 byte order mark is skipped, once; the rest is decoded as UTF-8 with
///   replacement characters for invalid sequences.
/// - Lines end in CRLF, LF or CR; a CR at the end of one chunk and an LF at the start of the
///   next are one line ending.
/// - `data` appends its value and an LF to the data buffer; `event` sets the type; `id` sets
///   the last event ID unless the value contains NUL; `retry` with ASCII digits only is reported
///   as ``Output/retry(milliseconds:)`` (other values are ignored); a line starting with `:` is
///   a comment; a line without a colon is a field with that whole line as its name and an empty
///   value; one space after the colon is dropped; unknown fields are ignored.
/// - A blank line dispatches the event, only when a `data` field was seen since the last one (a
///   `data` field with an empty value does dispatch an event with empty data); the type falls
///   back to `message`. The last event ID is set at every blank line, so an `id`-only block
///   moves it without an event.
/// - An unfinished event at the end of the stream is discarded (``finish()``).
///
/// Memory is bounded: a line longer than ``Limits/maxLineLength`` or event data larger than
/// ``Limits/maxEventLength`` throws instead of buffering more; a peer sending an endless line
/// costs at most the line bound.
public struct EventStreamParser: Sendable {
    /// What the parser reports.
    public enum Output: Sendable, Hashable {
        /// An event to dispatch.
        case event(MessageEvent)
        /// A `retry` field: the reconnection time the server asks for, in milliseconds.
        case retry(milliseconds: Int)
    }

    /// The bounds on what the parser buffers.
    public struct Limits: Sendable, Hashable {
        /// The longest line, in bytes without its line ending (default 1 MiB).
        public var maxLineLength: Int
        /// The largest event data, in bytes, counting the LF that joins lines (default 1 MiB).
        public var maxEventLength: Int

        /// Creates bounds.
        public init(maxLineLength: Int = 1 << 20, maxEventLength: Int = 1 << 20) {
            self.maxLineLength = max(0, maxLineLength)
            self.maxEventLength = max(0, maxEventLength)
        }
    }

    /// The last event ID in force: set by `id` fields when an event block ends; the ID a stream
    /// resumes from before that.
    public private(set) var lastEventID: String
    /// The bounds this parser enforces.
    public let limits: Limits

    /// The last event ID buffer: the latest `id` value, made the ``lastEventID`` at a blank line.
    private var pendingID: String
    private var eventType: String?
    private var data: [UInt8] = []
    /// A line left unfinished by the previous chunk.
    private var partialLine: [UInt8] = []
    /// How many bytes of a leading byte order mark were seen; `nil` once the start is past.
    private var byteOrderMarkSeen: Int? = 0
    /// The previous chunk ended in CR: an LF starting the next one belongs to that line ending.
    private var afterCR = false

    /// Buffers larger than this are released after use rather than kept for the next event.
    private static let keptCapacity = 16 * 1024
    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Creates a parser for one response body.
    /// - Parameters:
    ///   - lastEventID: the ID the stream resumes from (what a reconnecting client sent as
    ///     `Last-Event-ID`); events report it until the stream sets another.
    ///   - limits: the bounds on lines and events.
    public init(lastEventID: String = "", limits: Limits = Limits()) {
        self.lastEventID = lastEventID
        self.pendingID = lastEventID
        self.limits = limits
    }

    /// Parses the next chunk of the stream, appending what it completes to `outputs`.
    /// - Throws: ``EventStreamError`` when a line or an event exceeds its bound; the parser must
    ///   not be used after that.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, into outputs: inout [Output]) throws(EventStreamError) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return }
        var start = 0
        if let seen = byteOrderMarkSeen {
            start = try skipByteOrderMark(base, count: bytes.count, alreadySeen: seen, into: &outputs)
        }
        try parseLines(base, from: start, to: bytes.count, into: &outputs)
    }

    /// Parses the next chunk of the stream (see ``parse(_:into:)-(UnsafeRawBufferPointer,_)``).
    public mutating func parse(_ bytes: [UInt8], into outputs: inout [Output]) throws(EventStreamError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(EventStreamError) in
            try parse(UnsafeRawBufferPointer(buffer), into: &outputs)
        }
    }

    /// The stream ended: an unfinished line or event is discarded, as the standard says. The
    /// parser is ready for a new stream that resumes from ``lastEventID``.
    public mutating func finish() {
        pendingID = lastEventID
        eventType = nil
        Self.clear(&data)
        Self.clear(&partialLine)
        byteOrderMarkSeen = 0
        afterCR = false
    }

    // MARK: - Lines

    /// Skips the byte order mark at the start of the stream; returns where the stream's text
    /// starts in this chunk. Bytes that looked like the start of a mark but were not are parsed.
    private mutating func skipByteOrderMark(
        _ base: UnsafePointer<UInt8>, count: Int, alreadySeen: Int, into outputs: inout [Output]
    ) throws(EventStreamError) -> Int {
        var seen = alreadySeen
        var index = 0
        while seen < 3 && index < count && base[index] == Self.byteOrderMark[seen] {
            seen += 1
            index += 1
        }
        if seen == 3 {
            byteOrderMarkSeen = nil
            return index
        }
        if index == count {
            // The chunk ended inside what may still be a mark.
            byteOrderMarkSeen = seen
            return index
        }
        // Not a mark: the bytes held back from earlier chunks are text after all.
        byteOrderMarkSeen = nil
        let heldBack = Array(Self.byteOrderMark[0..<alreadySeen])
        try heldBack.withUnsafeBufferPointer { (held) throws(EventStreamError) in
            if let heldBase = held.baseAddress {
                try parseLines(heldBase, from: 0, to: held.count, into: &outputs)
            }
        }
        // This chunk's bytes that matched (all before `index`) are text too.
        return 0
    }

    private mutating func parseLines(
        _ base: UnsafePointer<UInt8>, from start: Int, to end: Int, into outputs: inout [Output]
    ) throws(EventStreamError) {
        var index = start
        if afterCR && index < end {
            afterCR = false
            if base[index] == Self.lineFeed { index += 1 }
        }
        while index < end {
            let lineEnd = Self.lineEnding(in: base, from: index, to: end)
            let length = lineEnd - index
            if partialLine.count + length > limits.maxLineLength {
                throw .lineTooLong(limit: limits.maxLineLength)
            }
            if lineEnd == end {
                partialLine.append(contentsOf: UnsafeBufferPointer(start: base + index, count: length))
                return
            }
            if partialLine.isEmpty {
                try processLine(UnsafeBufferPointer(start: base + index, count: length), into: &outputs)
            } else {
                var line = partialLine
                partialLine = []
                line.append(contentsOf: UnsafeBufferPointer(start: base + index, count: length))
                try line.withUnsafeBufferPointer { (line) throws(EventStreamError) in
                    try processLine(line, into: &outputs)
                }
                line.removeAll(keepingCapacity: line.capacity <= Self.keptCapacity)
                partialLine = line
            }
            index = lineEnd + 1
            if base[lineEnd] == Self.carriageReturn {
                if index == end {
                    afterCR = true
                } else if base[index] == Self.lineFeed {
                    index += 1
                }
            }
        }
    }

    /// The index of the first CR or LF in `base[start..<end]`, or `end`. Eight bytes at a time.
    @inline(__always)
    private static func lineEnding(in base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        #if _endian(little)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highBits: UInt64 = 0x8080_8080_8080_8080
            let lineFeeds = ones &* UInt64(lineFeed)
            let carriageReturns = ones &* UInt64(carriageReturn)
            let raw = UnsafeRawPointer(base)
            while index &+ 8 <= end {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let lf = word ^ lineFeeds
                let cr = word ^ carriageReturns
                // A zero byte in `lf` or `cr`: the lowest flagged byte is exact.
                let found = ((lf &- ones) & ~lf | (cr &- ones) & ~cr) & highBits
                if found != 0 { return index &+ found.trailingZeroBitCount / 8 }
                index &+= 8
            }
        #endif
        while index < end {
            let byte = base[index]
            if byte == lineFeed || byte == carriageReturn { return index }
            index &+= 1
        }
        return end
    }

    // MARK: - Fields

    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>, into outputs: inout [Output])
        throws(EventStreamError)
    {
        guard let first = line.first else {
            dispatch(into: &outputs)
            return
        }
        if first == UInt8(ascii: ":") { return }
        let name: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            name = UnsafeBufferPointer(rebasing: line[..<colon])
            var valueStart = colon + 1
            if valueStart < line.count && line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = UnsafeBufferPointer(rebasing: line[valueStart...])
        } else {
            name = line
            value = UnsafeBufferPointer(rebasing: line[line.endIndex...])
        }
        switch Field(name) {
        case .data:
            if data.count + value.count + 1 > limits.maxEventLength {
                throw .eventTooLarge(limit: limits.maxEventLength)
            }
            data.append(contentsOf: value)
            data.append(Self.lineFeed)
        case .event:
            eventType = String(decoding: value, as: UTF8.self)
        case .id:
            if !value.contains(0) { pendingID = String(decoding: value, as: UTF8.self) }
        case .retry:
            if let milliseconds = Self.digitsValue(value) { outputs.append(.retry(milliseconds: milliseconds)) }
        case .other:
            break
        }
    }

    /// A blank line: the event is dispatched if a `data` field was seen.
    private mutating func dispatch(into outputs: inout [Output]) {
        lastEventID = pendingID
        defer { eventType = nil }
        guard !data.isEmpty else { return }
        let text = data.withUnsafeBufferPointer { bytes in
            Self.string(UnsafeBufferPointer(rebasing: bytes.dropLast()))
        }
        let type = eventType.flatMap { $0.isEmpty ? nil : $0 } ?? "message"
        outputs.append(.event(MessageEvent(type: type, data: text, lastEventID: lastEventID)))
        Self.clear(&data)
    }

    /// The bytes as a `String`, invalid UTF-8 repaired with U+FFFD as the standard says. ASCII
    /// text (JSON, most event data) is recognised eight bytes at a time and copied without a
    /// second look where the standard library can adopt known-ASCII bytes.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *), isASCII(bytes) {
            return String(copying: UTF8Span(unchecked: bytes.span, isKnownASCII: true))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether every byte is below 0x80.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var index = 0
        var high: UInt64 = 0
        while index &+ 32 <= bytes.count {
            high |=
                raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index &+ 8, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index &+ 16, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index &+ 24, as: UInt64.self)
            index &+= 32
        }
        var tail: UInt8 = 0
        while index < bytes.count {
            tail |= base[index]
            index &+= 1
        }
        return (high & 0x8080_8080_8080_8080) == 0 && tail < 0x80
    }

    /// The value of a `retry` field made only of ASCII digits (saturating), else `nil`.
    private static func digitsValue(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            result = overflow1 || overflow2 ? Int.max : sum
        }
        return result
    }

    private static func clear(_ buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: buffer.capacity <= keptCapacity)
    }

    /// The field names the standard knows.
    private enum Field {
        case data, event, id, retry, other

        init(_ name: UnsafeBufferPointer<UInt8>) {
            switch name.count {
            case 4 where Self.matches(name, "data"): self = .data
            case 5 where Self.matches(name, "event"): self = .event
            case 2 where Self.matches(name, "id"): self = .id
            case 5 where Self.matches(name, "retry"): self = .retry
            default: self = .other
            }
        }

        /// Byte-for-byte equality with an ASCII name of the same length (no generic collection
        /// comparison on this path: it runs for every line).
        @inline(__always)
        private static func matches(_ name: UnsafeBufferPointer<UInt8>, _ expected: StaticString) -> Bool {
            let bytes = expected.utf8Start
            for index in 0..<name.count where name[index] != bytes[index] { return false }
            return true
        }
    }
}
