import EventStream
import Testing

/// Parses `bytes` whole, one byte at a time, at every single split point and at seeded random
/// splits; every chunking must give the same outputs, which are returned.
private func parseEveryWay(
    _ bytes: [UInt8], lastEventID: String = "", limits: EventStreamParser.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (outputs: [EventStreamParser.Output], lastEventID: String) {
    func run(_ chunks: [ArraySlice<UInt8>]) throws -> ([EventStreamParser.Output], String) {
        var parser = EventStreamParser(lastEventID: lastEventID, limits: limits)
        var outputs: [EventStreamParser.Output] = []
        for chunk in chunks { try parser.parse(Array(chunk), into: &outputs) }
        return (outputs, parser.lastEventID)
    }
    let whole = try run([bytes[...]])
    var chunkings: [[ArraySlice<UInt8>]] = [bytes.map { [$0][...] }]
    for split in 0...bytes.count {
        chunkings.append([bytes[..<split], bytes[split...]])
    }
    var generator = SplitMix(seed: UInt64(bytes.count) &* 0x9E37_79B9)
    for _ in 0..<20 {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let length = Int(generator.next() % 7)
            let end = min(bytes.count, start + length)
            chunks.append(bytes[start..<end])
            start = end
        }
        chunkings.append(chunks)
    }
    for chunks in chunkings {
        let result = try run(chunks)
        #expect(result.0 == whole.0, "chunks \(chunks.map(\.count))", sourceLocation: sourceLocation)
        #expect(result.1 == whole.1, sourceLocation: sourceLocation)
    }
    return whole
}

private func events(_ text: String, lastEventID: String = "") throws -> [MessageEvent] {
    try parseEveryWay(Array(text.utf8), lastEventID: lastEventID).outputs.compactMap {
        if case .event(let event) = $0 { return event }
        return nil
    }
}

/// A small deterministic generator for the random splits.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("The event-stream parser, rule by rule, under every chunking")
struct EventStreamParserTests {
    @Test("data lines are joined with LF; the type falls back to message")
    func dataLines() throws {
        #expect(try events("data: a\ndata: b\n\n") == [MessageEvent(data: "a\nb")])
        #expect(try events("data:x\n\n") == [MessageEvent(data: "x")])
        #expect(try events("data:  two spaces\n\n") == [MessageEvent(data: " two spaces")])
    }

    @Test("lines end in LF, CR or CRLF, mixed")
    func lineEndings() throws {
        let expected = [MessageEvent(data: "a\nb\nc"), MessageEvent(data: "d")]
        #expect(try events("data: a\rdata: b\r\ndata: c\n\rdata: d\r\n\r\n") == expected)
        #expect(try events("data: a\r\rdata: b\r\r") == [MessageEvent(data: "a"), MessageEvent(data: "b")])
    }

    @Test("a CR ending one chunk and an LF starting the next are one line ending")
    func splitCRLF() throws {
        var parser = EventStreamParser()
        var outputs: [EventStreamParser.Output] = []
        try parser.parse(Array("data: a\r".utf8), into: &outputs)
        try parser.parse(Array("\ndata: b\r".utf8), into: &outputs)
        try parser.parse(Array("\n\r".utf8), into: &outputs)
        try parser.parse(Array("\n".utf8), into: &outputs)
        #expect(outputs == [.event(MessageEvent(data: "a\nb"))])
    }

    @Test("a leading byte order mark is skipped once; a second one is text")
    func byteOrderMark() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let once = try parseEveryWay(bom + Array("data: x\n\n".utf8)).outputs
        #expect(once == [.event(MessageEvent(data: "x"))])
        // A second mark makes the first field's name "\u{FEFF}data": an unknown field.
        let twice = try parseEveryWay(bom + bom + Array("data: x\n\ndata: y\n\n".utf8)).outputs
        #expect(twice == [.event(MessageEvent(data: "y"))])
        // Bytes that start like a mark but are not one are text.
        let partial = try parseEveryWay([0xEF, 0xBB] + Array("\ndata: z\n\n".utf8)).outputs
        #expect(partial == [.event(MessageEvent(data: "z"))])
    }

    @Test("invalid UTF-8 becomes U+FFFD; valid multi-byte text survives any split")
    func utf8() throws {
        #expect(try events("data: h\u{E9}llo \u{1F600}\n\n") == [MessageEvent(data: "h\u{E9}llo \u{1F600}")])
        let bad = try parseEveryWay(Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)).outputs
        #expect(bad == [.event(MessageEvent(data: "a\u{FFFD}b"))])
    }

    @Test("event sets the type for one event only; an empty event field means message")
    func eventType() throws {
        #expect(
            try events("event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n") == [
                MessageEvent(type: "add", data: "1"), MessageEvent(data: "2"), MessageEvent(data: "3"),
            ])
    }

    @Test("id persists across events, an empty id resets it, an id with NUL is ignored")
    func ids() throws {
        let text = "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\u{0}x\ndata: d\n\nid: 3\ndata: e\n\n"
        #expect(
            try events(text) == [
                MessageEvent(data: "a", lastEventID: "1"), MessageEvent(data: "b", lastEventID: "1"),
                MessageEvent(data: "c", lastEventID: ""), MessageEvent(data: "d", lastEventID: ""),
                MessageEvent(data: "e", lastEventID: "3"),
            ])
    }

    @Test("the last event ID moves at the blank line, even without data; a resumed ID is reported")
    func idWithoutData() throws {
        let result = try parseEveryWay(Array("id: 7\n\n".utf8), lastEventID: "5")
        #expect(result.outputs.isEmpty)
        #expect(result.lastEventID == "7")
        #expect(try events("data: x\n\n", lastEventID: "5") == [MessageEvent(data: "x", lastEventID: "5")])
        // An id without its blank line is not in force yet.
        #expect(try parseEveryWay(Array("id: 9\n".utf8), lastEventID: "5").lastEventID == "5")
    }

    @Test("retry with ASCII digits only is reported; anything else is ignored")
    func retry() throws {
        let outputs = try parseEveryWay(
            Array("retry: 1500\nretry: 12a\nretry: -5\nretry:\nretry: 1.5\nretry:  7\nretry:0\n".utf8)
        ).outputs
        #expect(outputs == [.retry(milliseconds: 1500), .retry(milliseconds: 0)])
        let huge = try parseEveryWay(Array("retry: 99999999999999999999999\n".utf8)).outputs
        #expect(huge == [.retry(milliseconds: Int.max)])
    }

    @Test("comments and unknown fields are ignored; a line without a colon is a field name")
    func commentsAndBareFields() throws {
        #expect(try events(": hello\ndata: a\n:\nfoo: bar\n\n") == [MessageEvent(data: "a")])
        // `data` alone is the field `data` with an empty value: an empty message.
        #expect(try events("data\n\n") == [MessageEvent(data: "")])
        #expect(try events("data\ndata\n\n") == [MessageEvent(data: "\n")])
        #expect(try events("event\ndata: x\n\n") == [MessageEvent(data: "x")])
    }

    @Test("dispatch only at a blank line after data; an empty data value dispatches")
    func dispatchRules() throws {
        #expect(try events("event: x\n\n").isEmpty)
        #expect(try events("data:\n\n") == [MessageEvent(data: "")])
        #expect(try events("data: a\n").isEmpty)
        // The type of an event without data does not carry over.
        #expect(try events("event: x\n\ndata: y\n\n") == [MessageEvent(data: "y")])
    }

    @Test("finish() discards an unfinished event; the next stream resumes the last ID")
    func finish() throws {
        var parser = EventStreamParser()
        var outputs: [EventStreamParser.Output] = []
        try parser.parse(Array("id: 4\ndata: done\n\nid: 5\ndata: half".utf8), into: &outputs)
        parser.finish()
        try parser.parse(Array("\n\ndata: next\n\n".utf8), into: &outputs)
        #expect(
            outputs == [
                .event(MessageEvent(data: "done", lastEventID: "4")),
                .event(MessageEvent(data: "next", lastEventID: "4")),
            ])
    }

    @Test("a line beyond the bound throws, however it is chunked; one at the bound passes")
    func lineBound() throws {
        let limits = EventStreamParser.Limits(maxLineLength: 16, maxEventLength: 1024)
        let atBound = Array("data: 0123456789".utf8) + [0x0A, 0x0A]
        #expect(try parseEveryWay(atBound, limits: limits).outputs == [.event(MessageEvent(data: "0123456789"))])
        let over = Array("data: 0123456789X\n\n".utf8)
        #expect(throws: EventStreamError.lineTooLong(limit: 16)) {
            _ = try parseEveryWay(over, limits: limits)
        }
        // An endless line is refused as soon as it passes the bound, without its line ending.
        var parser = EventStreamParser(limits: limits)
        var outputs: [EventStreamParser.Output] = []
        try parser.parse(Array(repeating: UInt8(ascii: "x"), count: 16), into: &outputs)
        #expect(throws: EventStreamError.lineTooLong(limit: 16)) {
            try parser.parse([UInt8(ascii: "x")], into: &outputs)
        }
    }

    @Test("event data beyond the bound throws")
    func eventBound() throws {
        let limits = EventStreamParser.Limits(maxLineLength: 64, maxEventLength: 8)
        #expect(try events("data: abc\ndata: abc\n\n").count == 1)
        #expect(try parseEveryWay(Array("data: abc\ndata: abc\n\n".utf8), limits: limits).outputs.count == 1)
        #expect(throws: EventStreamError.eventTooLarge(limit: 8)) {
            _ = try parseEveryWay(Array("data: abcd\ndata: abcd\n\n".utf8), limits: limits)
        }
    }

    @Test("long lines cross the word-at-a-time scan at every offset")
    func wordScan() throws {
        for length in 0..<40 {
            let value = String(repeating: "v", count: length)
            for ending in ["\n", "\r", "\r\n"] {
                let text = "data: \(value)\(ending)data: \(value)\(ending)\(ending)"
                #expect(try events(text) == [MessageEvent(data: value + "\n" + value)])
            }
        }
    }
}
