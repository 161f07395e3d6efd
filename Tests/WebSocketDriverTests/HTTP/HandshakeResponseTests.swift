import Testing

@testable import WebSocketDriver

@Suite("HandshakeResponse")
struct HandshakeResponseTests {
    @Test("Initialiser and defaults")
    func initialiser() {
        let response = HandshakeResponse(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "websocket"])
        #expect(response.version == "HTTP/1.1")
        #expect(response.status == 101)
        #expect(response.reason == "Switching Protocols")
        #expect(response.headers["upgrade"] == "websocket")
        let old = HandshakeResponse(version: "HTTP/1.0", status: 403, reason: "", headers: [:])
        #expect(old.version == "HTTP/1.0")
        #expect(old != response)
    }
}
