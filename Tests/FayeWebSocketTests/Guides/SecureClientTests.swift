import FayeTestSupport
import FayeWebSocket
import Testing
import WebSocketDriver

/// Runs the client of Docs/Guides/Client-TLS-Proxy.md against our TLS server on loopback,
/// directly and through tinyproxy.
@Suite("Guide: the client with TLS, a custom CA and a proxy")
struct SecureClientTests {
    @Test("wss: with the test CA, through tinyproxy: deflate negotiated, one echo, clean close")
    func throughProxy() async throws {
        let pki = try await TestPKI.shared()
        try await withTinyProxy { proxy in
            try await withTLSLoopback(pki.server) { loopback in
                let settings = SecureClientSettings(
                    url: "wss://localhost:\(loopback.port)/secure", caFile: pki.caFile, proxyURL: proxy.url())
                let socket = connectSecurely(settings)
                let answer = try await withTimeout("the answer", timeout: .seconds(10)) {
                    try await ask(socket, "hello through the tunnel")
                }
                #expect(answer == .text("hello through the tunnel"))
                #expect(socket.handshakeResponse?.status == 101)
                let server = try await loopback.nextServerSocket()
                #expect(server.request?.headers["Proxy-Authorization"] == nil)
                #expect(await server.finalCloseEvent() == CloseEvent(code: .normalClosure, reason: "thanks"))
            }
        }
    }

    @Test("wss: directly; without the CA the certificate is refused (error event, close 1006)")
    func directAndUntrusted() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSLoopback(pki.server) { loopback in
            let url = "wss://localhost:\(loopback.port)/"
            let trusted = connectSecurely(SecureClientSettings(url: url, caFile: pki.caFile))
            let answer = try await withTimeout("the answer", timeout: .seconds(10)) { try await ask(trusted, "hi") }
            #expect(answer == .text("hi"))

            let untrusted = RecordedSocket(connectSecurely(SecureClientSettings(url: url)))
            let (error, close) = try await untrusted.expectFailure(timeout: .seconds(10))
            #expect(error.contains("certificate"))
            #expect(close == .close(1006, ""))
        }
    }
}
