import FayeEventSource
import Testing

private func request(
    method: String = "GET",
    target: String = "/events",
    accept: [String] = [],
    headers: [(String, String)] = []
) -> IncomingRequest {
    IncomingRequest(method: method, target: target, headers: HeaderFields(accept.map { ("Accept", $0) } + headers))
}

@Suite("EventSource request detection")
struct DetectionTests {
    @Test(
        "Accept lists that ask for text/event-stream",
        arguments: [
            "text/event-stream",
            "TEXT/Event-Stream",
            "text/event-stream;q=1",
            "text/event-stream ; q=0.5",
            "text/event-stream;charset=utf-8",
            "text/html, text/event-stream",
            "text/html,text/event-stream;q=0.9,*/*;q=0.1",
            "  text/event-stream  ",
            "text/plain;x=\"a,b\", text/event-stream",
            "text/event-stream;q=0.001",
            ",,text/event-stream,",
        ]
    )
    func accepted(accept: String) {
        #expect(EventSource.isEventSourceRequest(request(accept: [accept])))
    }

    @Test(
        "Accept lists that do not",
        arguments: [
            "text/html",
            "*/*",
            "text/*",
            "text/event-streams",
            "text/event-stream-x",
            "xtext/event-stream",
            "text/event-stream;q=0",
            "text/event-stream;Q=0.000",
            "text/plain;x=\"a,text/event-stream\"",
            "text/plain;x=\"a\\\",text/event-stream\"",
            "",
        ]
    )
    func refused(accept: String) {
        #expect(!EventSource.isEventSourceRequest(request(accept: [accept])))
    }

    @Test("several Accept fields are one list; no Accept is no EventSource")
    func severalFields() {
        #expect(EventSource.isEventSourceRequest(request(accept: ["text/html", "text/event-stream"])))
        #expect(!EventSource.isEventSourceRequest(request()))
    }

    @Test("only GET", arguments: ["POST", "HEAD", "get", "PUT"])
    func onlyGet(method: String) {
        #expect(!EventSource.isEventSourceRequest(request(method: method, accept: ["text/event-stream"])))
    }

    @Test("ServerRequest.isEventSource")
    func serverRequest() {
        #expect(ServerRequest(request: request(accept: ["text/event-stream"])).isEventSource)
        #expect(!ServerRequest(request: request(accept: ["text/html"])).isEventSource)
    }

    @Test(
        "lastEventID from the header, else from the lastEventId query parameter",
        arguments: [
            ("/events", [], ""),
            ("/events", [("Last-Event-ID", "42")], "42"),
            ("/events", [("last-event-id", "ünï")], "ünï"),
            ("/events?lastEventId=7", [], "7"),
            ("/events?x=1&lastEventId=a%20b%2Bc+d&lastEventId=2", [], "a b+c d"),
            ("/events?lastEventId=%E2%9C%93", [], "✓"),
            ("/events?lastEventId=%zz%4", [], "%zz%4"),
            ("/events?lastEventId", [], ""),
            ("/events?lastEventIdx=1&last%45ventId=9", [], "9"),
            ("/events?lastEventId=3", [("Last-Event-ID", "5")], "5"),
            ("/events?lastEventId=3", [("Last-Event-ID", "")], "3"),
        ] as [(String, [(String, String)], String)]
    )
    func lastEventID(target: String, headers: [(String, String)], expected: String) {
        let incoming = request(target: target, accept: ["text/event-stream"], headers: headers)
        #expect(EventSource.lastEventID(of: incoming) == expected)
        #expect(ServerRequest(request: incoming).lastEventID == expected)
    }
}
