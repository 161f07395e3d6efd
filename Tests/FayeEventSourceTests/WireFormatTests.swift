import FayeEventSource
import Testing

@testable import FayeEventSource

/// The bytes of one event.
private func wire(_ data: String, event: String? = nil, id: String? = nil) throws -> String {
    String(decoding: try ServerSentEvent(data: data, event: event, id: id).encoded(), as: UTF8.self)
}

@Suite("Event-stream wire format")
struct WireFormatTests {
    @Test("single-line data is one data line and a blank line")
    func singleLine() throws {
        #expect(try wire("hello") == "data: hello\r\n\r\n")
    }

    @Test(
        "data is split on LF, CR and CRLF into data lines",
        arguments: [
            ("a\nb", "data: a\r\ndata: b\r\n\r\n"),
            ("a\rb", "data: a\r\ndata: b\r\n\r\n"),
            ("a\r\nb", "data: a\r\ndata: b\r\n\r\n"),
            ("line1\nline2\r\nline3\rline4", "data: line1\r\ndata: line2\r\ndata: line3\r\ndata: line4\r\n\r\n"),
            // A CRLF is one break; LF CR is two; CR CR LF is two.
            ("a\n\rb", "data: a\r\ndata: \r\ndata: b\r\n\r\n"),
            ("a\r\r\nb", "data: a\r\ndata: \r\ndata: b\r\n\r\n"),
            ("a\n\nb", "data: a\r\ndata: \r\ndata: b\r\n\r\n"),
            // Leading and trailing breaks keep their empty lines.
            ("\na\n", "data: \r\ndata: a\r\ndata: \r\n\r\n"),
            ("\r\n", "data: \r\ndata: \r\n\r\n"),
            ("\r", "data: \r\ndata: \r\n\r\n"),
        ]
    )
    func lineSplitting(data: String, expected: String) throws {
        #expect(try wire(data) == expected)
    }

    @Test("empty data writes one empty data line")
    func emptyData() throws {
        #expect(try wire("") == "data: \r\n\r\n")
        #expect(try wire("", event: "e", id: "1") == "event: e\r\nid: 1\r\ndata: \r\n\r\n")
    }

    @Test("unicode data, event and id are written as UTF-8")
    func unicode() throws {
        let bytes = try ServerSentEvent(data: "héllo ✓\n🎉", event: "ünï", id: "ид-7").encoded()
        #expect(bytes == Array("event: ünï\r\nid: ид-7\r\ndata: héllo ✓\r\ndata: 🎉\r\n\r\n".utf8))
        // Line separators other than CR and LF are not line breaks in an event stream.
        #expect(try wire("a\u{2028}b\u{85}c") == "data: a\u{2028}b\u{85}c\r\n\r\n")
    }

    @Test("event comes first, then id, then data; empty values still write their lines")
    func eventAndID() throws {
        #expect(
            try wire("line1\nline2", event: "upd", id: "7")
                == "event: upd\r\nid: 7\r\ndata: line1\r\ndata: line2\r\n\r\n")
        #expect(try wire("x", id: "42") == "id: 42\r\ndata: x\r\n\r\n")
        #expect(try wire("x", event: "tick") == "event: tick\r\ndata: x\r\n\r\n")
        #expect(try wire("x", event: "", id: "") == "event: \r\nid: \r\ndata: x\r\n\r\n")
        // Colons and leading spaces in values are fine: only the first ": " is the separator.
        #expect(try wire(" a: b", event: "a:b", id: " 1") == "event: a:b\r\nid:  1\r\ndata:  a: b\r\n\r\n")
    }

    @Test(
        "an event type with CR or LF is rejected, not written",
        arguments: ["a\nb", "a\rb", "a\r\nb", "\n", "x\ndata: injected", "end\r"]
    )
    func rejectedEventType(event: String) {
        #expect(throws: EventSourceError.invalidEventType(event)) {
            try ServerSentEvent(data: "x", event: event).encoded()
        }
    }

    @Test(
        "an id with CR, LF or NUL is rejected, not written",
        arguments: ["1\n2", "1\r2", "1\r\n2", "\0", "7\0", "1\nevent: evil"]
    )
    func rejectedID(id: String) {
        #expect(throws: EventSourceError.invalidID(id)) {
            try ServerSentEvent(data: "x", id: id).encoded()
        }
    }

    @Test("NUL in an event type or in data is written as it is")
    func nulElsewhere() throws {
        #expect(try wire("a\0b", event: "e\0") == "event: e\0\r\ndata: a\0b\r\n\r\n")
    }

    @Test("errors describe themselves")
    func errorDescriptions() {
        #expect(EventSourceError.invalidID("1\n").description.contains("CR, LF or NUL"))
        #expect(EventSourceError.invalidEventType("a\r").description.contains("CR or LF"))
        #expect(EventSourceError.notOpen.description == "The EventSource is not open")
    }

    @Test(
        "retry is written in whole milliseconds",
        arguments: [
            (Duration.seconds(5), "retry: 5000\r\n\r\n"),
            (.milliseconds(2500), "retry: 2500\r\n\r\n"),
            (.seconds(0), "retry: 0\r\n\r\n"),
            (.microseconds(1999), "retry: 1\r\n\r\n"),
            (.seconds(-3), "retry: 0\r\n\r\n"),
        ]
    )
    func retry(duration: Duration, expected: String) {
        #expect(String(decoding: ServerSentEvent.retryField(duration), as: UTF8.self) == expected)
    }

    @Test("a ping is an empty comment")
    func ping() {
        #expect(ServerSentEvent.pingComment == Array(":\r\n\r\n".utf8))
    }

    @Test("the response head: fixed fields, custom fields appended, then retry")
    func responseHead() {
        var options = EventSourceOptions()
        #expect(
            String(decoding: options.responsePrelude(), as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n"
                + "Connection: close\r\n\r\nretry: 5000\r\n\r\n"
        )
        options.headers = ["Access-Control-Allow-Origin": "*"]
        options.retry = .milliseconds(2500)
        #expect(
            String(decoding: options.responsePrelude(), as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n"
                + "Connection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\nretry: 2500\r\n\r\n"
        )
        options.retry = nil
        #expect(String(decoding: options.responsePrelude(), as: UTF8.self).hasSuffix("*\r\n\r\n"))
    }

    @Test("custom headers cannot replace the fixed ones, frame the body, or inject lines")
    func customHeaderRules() {
        let options = EventSourceOptions(headers: [
            "content-type": "text/html",
            "Cache-Control": "max-age=60",
            "CONNECTION": "keep-alive",
            "Content-Length": "10",
            "Transfer-Encoding": "chunked",
            "X-Evil": "a\r\nSet-Cookie: b",
            "Bad Name": "x",
            "X-Trimmed": "  value \t",
            "X-Twice": "1",
            "X-Twice": "2",
            "X-Unicode": "ünï",
        ])
        let head = String(decoding: options.responsePrelude(), as: UTF8.self)
        #expect(
            head
                == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n"
                + "Connection: close\r\nX-Trimmed: value\r\nX-Twice: 1\r\nX-Twice: 2\r\nX-Unicode: ünï\r\n\r\n"
                + "retry: 5000\r\n\r\n"
        )
    }

    @Test("what we write is what a standard parser reads back (data joined with LF)")
    func roundTrip() throws {
        let samples = [
            "", "a", "a\nb", "a\r\nb\rc", "\n\n", "trailing\n", "ünï\r\n🎉", String(repeating: "x\r", count: 50),
            " leading space", ":not a comment", "data: nested",
        ]
        var stream: [UInt8] = []
        for (index, sample) in samples.enumerated() {
            stream += try ServerSentEvent(data: sample, event: index.isMultiple(of: 2) ? "even" : nil, id: "\(index)")
                .encoded()
        }
        let parsed = ReferenceStreamReader.parse(stream).events
        // Even an empty data line makes an event (with empty data).
        let expected = samples.enumerated().map { index, sample -> ParsedEvent in
            let normalised = sample.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(
                of: "\r", with: "\n")
            return ParsedEvent(
                type: index.isMultiple(of: 2) ? "even" : "message", data: normalised, lastEventID: "\(index)")
        }
        #expect(parsed == expected)
    }
}
