import FayeEventSource
import FayeTestSupport
import Testing

/// Runs the LLM-style streaming guide (Docs/Guides/EventSource-Client.md) on loopback.
@Suite("Guide: streaming from an LLM-style endpoint")
struct TokenStreamTests {
    @Test("the client POSTs the prompt with the token and gets the answer, token by token")
    func completion() async throws {
        let answer = "Streams arrive one token at a time, \u{2603} included."
        let server = makeTokenServer(port: 0, token: "secret", answer: answer)
        try await server.start()
        do {
            let port = try #require(server.localAddress?.port)
            let text = try await withTimeout("the completion") {
                try await complete(
                    prompt: "Say \"hi\"", endpoint: "http://127.0.0.1:\(port)/v1/complete", token: "secret")
            }
            #expect(text == answer)
            await #expect(throws: EventSourceClientError.self) {
                try await withTimeout("the refusal") {
                    try await complete(prompt: "x", endpoint: "http://127.0.0.1:\(port)/v1/complete", token: "wrong")
                }
            }
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test("the prompt is sent as a JSON string")
    func jsonEscaping() {
        #expect(jsonString("a \"quoted\" \\ line\n\u{1}") == #""a \"quoted\" \\ line\u000a\u0001""#)
    }
}
