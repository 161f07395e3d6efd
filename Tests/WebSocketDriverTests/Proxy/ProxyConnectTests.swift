import Testing

@testable import WebSocketDriver

@Suite struct ProxyConnectTests {
    final class Recorder {
        var written: [UInt8] = []
        var connected: [[UInt8]] = []
        var errors: [ProxyError] = []
    }

    func make(
        _ proxyURL: String,
        target: String = "wss://example.com/chat",
        headers: HeaderFields = HeaderFields()
    ) throws -> (ProxyConnect, Recorder) {
        let recorder = Recorder()
        let proxy = try ProxyConnect(proxyURL: proxyURL, target: try WebSocketURL(target), headers: headers) {
            recorder.written.append(contentsOf: $0)
        }
        proxy.onConnect = { recorder.connected.append($0) }
        proxy.onError = { recorder.errors.append($0) }
        return (proxy, recorder)
    }

    @Test func requestCarriesAuthorityHostAndCredentials() throws {
        let (proxy, recorder) = try make(
            "http://us%40er:p%3Ass@proxy.local:3128",
            headers: ["User-Agent": "faye"]
        )
        #expect(proxy.start())
        #expect(!proxy.start())
        let expected =
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: keep-alive\r\n"
            + "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic dXNAZXI6cDpzcw==\r\n"
            + "User-Agent: faye\r\n\r\n"
        #expect(String(decoding: recorder.written, as: UTF8.self) == expected)
        #expect(proxy.proxy.port == 3128)
    }

    @Test func ipv6TargetIsBracketedAndDefaultPortsApply() throws {
        let (proxy, recorder) = try make("http://proxy.local", target: "ws://[::1]/")
        proxy.start()
        #expect(
            String(decoding: recorder.written, as: UTF8.self).hasPrefix(
                "CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\n"))
        #expect(proxy.proxy.port == 80)
        #expect(!proxy.proxyUsesTLS)
        let (secure, _) = try make("HTTPS://proxy.local")
        #expect(secure.proxy.port == 443)
        #expect(secure.proxyUsesTLS)
    }

    @Test func successHandsOverTunnelBytesOnce() throws {
        let (proxy, recorder) = try make("http://proxy.local:8080")
        proxy.start()
        proxy.parse(Array("HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\n".utf8) + [0x16, 0x03])
        proxy.parse([1, 2, 3])
        #expect(recorder.connected == [[0x16, 0x03]])
        #expect(recorder.errors.isEmpty)
        #expect(proxy.status == 200)
        #expect(proxy.response?.headers["via"] == "x")
    }

    @Test func refusalCarriesStatusAndHeadersOnce() throws {
        let (proxy, recorder) = try make("http://proxy.local:8080")
        proxy.start()
        for byte in "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n".utf8 {
            proxy.parse([byte])
        }
        proxy.parse(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        #expect(recorder.connected.isEmpty)
        guard case .refused(let status, let reason, let headers) = recorder.errors.first else {
            Issue.record("expected a refusal, got \(recorder.errors)")
            return
        }
        #expect(recorder.errors.count == 1)
        #expect(status == 407)
        #expect(reason == "Proxy Authentication Required")
        #expect(headers["proxy-authenticate"] == "Basic")
    }

    @Test func garbageResponseIsReportedNotIgnored() throws {
        let (proxy, recorder) = try make("http://proxy.local:8080")
        proxy.start()
        proxy.parse(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8))
        #expect(recorder.errors.count == 1)
        if case .invalidResponse = recorder.errors.first {} else { Issue.record("expected invalidResponse") }
    }

    @Test func badURLsAndHeadersAreRefused() throws {
        #expect(throws: ProxyError.invalidProxyURL("socks5://x:1")) { try make("socks5://x:1") }
        #expect(throws: ProxyError.invalidProxyURL("http://")) { try make("http://") }
        #expect(throws: HeaderError.self) { try make("http://p", headers: ["X-Bad": "a\r\nInjected: 1"]) }
        let (proxy, _) = try make("http://p")
        #expect(throws: HeaderError.invalidValue(name: "X")) { try proxy.setHeader("X", "a\nb") }
        proxy.start()
        #expect(throws: HeaderError.handshakeAlreadySent) { try proxy.setHeader("X", "1") }
    }

    @Test func tunnelThenClientHandshake() throws {
        let (proxy, recorder) = try make("http://proxy.local:8080", target: "ws://origin.example/")
        var tunnel: [UInt8] = []
        proxy.start()
        proxy.parse(Array("HTTP/1.0 200 OK\r\n\r\n".utf8))
        #expect(recorder.connected == [[]])
        let client = try Driver.client(url: "ws://origin.example/") { tunnel.append(contentsOf: $0) }
        client.start()
        #expect(String(decoding: tunnel, as: UTF8.self).hasPrefix("GET / HTTP/1.1\r\nHost: origin.example\r\n"))
    }
}
