import Testing

@testable import WebSocketDriver

@Suite("IncomingRequest")
struct IncomingRequestTests {
    @Test("Defaults: HTTP/1.1 and no body")
    func defaults() {
        let request = IncomingRequest(method: "GET", target: "/", headers: ["Host": "a"])
        #expect(request.version == "HTTP/1.1")
        #expect(request.body.isEmpty)
        #expect(request.headers["host"] == "a")
        let full = IncomingRequest(method: "GET", target: "/demo", version: "HTTP/1.0", headers: [:], body: [1, 2])
        #expect(full.version == "HTTP/1.0")
        #expect(full.body == [1, 2])
    }

    @Test(
        "path and query split at the first ?",
        arguments: [
            ("/chat", "/chat", nil),
            ("/chat?", "/chat", ""),
            ("/chat?room=1", "/chat", "room=1"),
            ("/a?b?c", "/a", "b?c"),
            ("?x=1", "", "x=1"),
            ("*", "*", nil),
            ("/caf\u{E9}?q=\u{E9}", "/caf\u{E9}", "q=\u{E9}"),
            ("http://example.com/a?b", "http://example.com/a", "b"),
        ] as [(String, String, String?)])
    func pathAndQuery(target: String, path: String, query: String?) {
        let request = IncomingRequest(method: "GET", target: target, headers: [:])
        #expect(request.path == path)
        #expect(request.query == query)
    }

    @Test("Fields are mutable")
    func mutable() {
        var request = IncomingRequest(method: "GET", target: "/", headers: [:])
        request.target = "/x?y"
        request.headers.append(name: "Host", value: "a")
        #expect(request.path == "/x")
        #expect(request.headers.count == 1)
    }
}
