import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOCore
import NIOPosix
import Testing
import WebSocketDriver

/// The client through a real HTTP CONNECT proxy: Debian's tinyproxy with Basic authentication.
@Suite("Client through tinyproxy")
struct ClientProxyTests {
    static func options(_ loopback: Loopback, proxy: String?) -> WebSocketClientOptions {
        var options = WebSocketClientOptions()
        options.eventLoopGroup = loopback.group
        options.proxy = proxy.map { ProxySettings(url: $0) }
        return options
    }

    @Test("tinyproxy is installed (the proxy tests need it)")
    func tinyproxyInstalled() throws {
        _ = try TinyProxy.executable()
    }

    @Test("with the right credentials the tunnel opens and messages flow")
    func tunnel() async throws {
        try await withTinyProxy { proxy in
            try await withLoopback { loopback in
                let client = RecordedSocket.connect(
                    "ws://127.0.0.1:\(loopback.port)/through", clientOptions: Self.options(loopback, proxy: proxy.url())
                )
                try await client.expectOpen(timeout: .seconds(10))
                #expect(client.socket.handshakeResponse?.status == 101)
                let server = try await loopback.nextServerSocket()
                #expect(server.request?.target == "/through")
                // The server sees the proxy's connection, not ours, but tinyproxy runs on
                // loopback too; the request must not carry the proxy credentials.
                #expect(server.request?.headers["Proxy-Authorization"] == nil)
                try await client.socket.send(.text("through the proxy"))
                #expect(try await client.nextMessage() == .text("through the proxy"))
                let big = patternBytes(1 << 20)
                try await client.socket.send(.binary(big))
                #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(big))
                let event = try await withTimeout("the close") {
                    try await client.socket.closeAndWait(code: 4005, reason: "via proxy")
                }
                #expect(event == CloseEvent(code: CloseCode(4005), reason: "via proxy"))
            }
        }
    }

    @Test("without credentials the proxy answers 407: error naming it, close 1006")
    func missingCredentials() async throws {
        try await withTinyProxy { proxy in
            try await withLoopback { loopback in
                let client = RecordedSocket.connect(
                    "ws://127.0.0.1:\(loopback.port)/",
                    clientOptions: Self.options(loopback, proxy: proxy.url(user: nil)))
                let (message, close) = try await client.expectFailure(timeout: .seconds(10))
                #expect(message.contains("407"))
                #expect(message.contains("127.0.0.1:\(proxy.port)"))
                #expect(close == .close(1006, ""))
                #expect(!client.log.current.contains(.open))
                #expect(loopback.sockets.pending.isEmpty)
            }
        }
    }

    @Test("with a wrong password the proxy refuses: error naming its status, close 1006")
    func wrongPassword() async throws {
        try await withTinyProxy { proxy in
            try await withLoopback { loopback in
                let client = RecordedSocket.connect(
                    "ws://127.0.0.1:\(loopback.port)/",
                    clientOptions: Self.options(loopback, proxy: proxy.url(password: "wrong")))
                let (message, close) = try await client.expectFailure(timeout: .seconds(10))
                // tinyproxy answers a bad password with 401 (a missing one with 407).
                #expect(message.contains("The proxy refused the tunnel: 40"))
                #expect(close == .close(1006, ""))
                #expect(!client.log.current.contains(.open))
            }
        }
    }

    @Test("a tunnel to a port nobody listens on: the proxy's error status, close 1006")
    func unreachableOrigin() async throws {
        try await withTinyProxy { proxy in
            try await withRefusingPort { port in
                let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                var options = WebSocketClientOptions()
                options.eventLoopGroup = group
                options.proxy = ProxySettings(url: proxy.url())
                let client = RecordedSocket.connect("ws://127.0.0.1:\(port)/", clientOptions: options)
                let (message, close) = try await client.expectFailure(timeout: .seconds(10))
                #expect(message.contains("The proxy refused the tunnel: 5"))
                #expect(close == .close(1006, ""))
                try await group.shutdownGracefully()
            }
        }
    }

    @Test("a proxy that is not running: error naming the proxy, close 1006")
    func proxyDown() async throws {
        try await withRefusingPort { port in
            var options = WebSocketClientOptions()
            options.proxy = ProxySettings(url: "http://127.0.0.1:\(port)")
            let client = RecordedSocket.connect("ws://127.0.0.1:1/", clientOptions: options)
            let (message, close) = try await client.expectFailure()
            #expect(message.contains("127.0.0.1:\(port)"))
            #expect(message.lowercased().contains("refused"))
            #expect(close == .close(1006, ""))
        }
    }

    @Test("an invalid proxy URL: error, close 1006")
    func invalidProxyURL() async throws {
        var options = WebSocketClientOptions()
        options.proxy = ProxySettings(url: "socks5://127.0.0.1:1080")
        let client = RecordedSocket.connect("ws://127.0.0.1:1/", clientOptions: options)
        let (message, close) = try await client.expectFailure()
        #expect(message.contains("Invalid proxy URL: socks5://127.0.0.1:1080"))
        #expect(close == .close(1006, ""))
    }
}

/// `ProxySettings.fromEnvironment`, as a pure function of a dictionary.
@Suite("Proxy settings from the environment")
struct ProxyEnvironmentTests {
    static func url(_ text: String) throws -> WebSocketURL { try WebSocketURL(text) }

    @Test("ws: uses http_proxy, wss: uses https_proxy; upper case works; empty means none")
    func variables() throws {
        let plain = try Self.url("ws://example.test/")
        let secure = try Self.url("wss://example.test/")
        #expect(ProxySettings.fromEnvironment(for: plain, environment: [:]) == nil)
        #expect(
            ProxySettings.fromEnvironment(for: plain, environment: ["http_proxy": "http://p:1"])?.url == "http://p:1")
        #expect(
            ProxySettings.fromEnvironment(for: plain, environment: ["HTTP_PROXY": "http://P:2"])?.url == "http://P:2")
        #expect(ProxySettings.fromEnvironment(for: plain, environment: ["https_proxy": "http://p:1"]) == nil)
        #expect(
            ProxySettings.fromEnvironment(for: secure, environment: ["https_proxy": "http://s:3"])?.url == "http://s:3")
        #expect(
            ProxySettings.fromEnvironment(for: secure, environment: ["HTTPS_PROXY": "http://S:4"])?.url == "http://S:4")
        #expect(ProxySettings.fromEnvironment(for: secure, environment: ["http_proxy": "http://p:1"]) == nil)
        #expect(ProxySettings.fromEnvironment(for: plain, environment: ["http_proxy": ""]) == nil)
        // Lower case wins over upper case, as in curl.
        #expect(
            ProxySettings.fromEnvironment(
                for: plain, environment: ["http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1"])?.url
                == "http://lower:1")
        // A bare host:port gets http://.
        #expect(
            ProxySettings.fromEnvironment(for: plain, environment: ["http_proxy": "proxy.test:3128"])?.url
                == "http://proxy.test:3128")
    }

    @Test(
        "no_proxy matching",
        arguments: [
            ("ws://example.test/", "example.test", true),
            ("ws://example.test/", "EXAMPLE.test", true),
            ("ws://a.example.test/", "example.test", true),
            ("ws://a.example.test/", ".example.test", true),
            ("ws://badexample.test/", "example.test", false),
            ("ws://example.test/", "other.test, example.test", true),
            ("ws://example.test/", " other.test ,example.test ", true),
            ("ws://example.test/", "other.test", false),
            ("ws://anything.test/", "*", true),
            ("ws://example.test:8080/", "example.test:8080", true),
            ("ws://example.test:8081/", "example.test:8080", false),
            ("ws://example.test/", "example.test:80", true),
            ("ws://127.0.0.1:9000/", "127.0.0.1", true),
            ("ws://127.0.0.2:9000/", "127.0.0.1", false),
            ("ws://[::1]:9000/", "::1", true),
            ("ws://[::1]:9000/", "[::1]", true),
            ("ws://[::1]:9000/", "[::1]:9000", true),
            ("ws://example.test/", "", false),
            ("ws://example.test/", ",,", false),
        ])
    func noProxy(url: String, list: String, excluded: Bool) throws {
        let environment = ["http_proxy": "http://proxy.test:3128", "no_proxy": list]
        let settings = ProxySettings.fromEnvironment(for: try Self.url(url), environment: environment)
        #expect((settings == nil) == excluded, "\(url) against no_proxy=\(list)")
        let upper = ProxySettings.fromEnvironment(
            for: try Self.url(url), environment: ["HTTP_PROXY": "http://proxy.test:3128", "NO_PROXY": list])
        #expect((upper == nil) == excluded, "\(url) against NO_PROXY=\(list)")
    }
}

/// `proxyFromEnvironment` reads the process environment, so these tests set it (and restore
/// it); nothing else in the test run reads those variables.
@Suite("Client proxy from the process environment", .serialized)
struct ClientEnvironmentProxyTests {
    static let names = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"]

    func withEnvironment(_ values: [String: String], _ body: () async throws -> Void) async throws {
        let saved = processEnvironmentLock.withLock {
            let saved = Self.names.map { ($0, getenv($0).map { String(cString: $0) }) }
            for name in Self.names { unsetenv(name) }
            for (name, value) in values { setenv(name, value, 1) }
            return saved
        }
        defer {
            processEnvironmentLock.withLock {
                for (name, value) in saved {
                    if let value { setenv(name, value, 1) } else { unsetenv(name) }
                }
            }
        }
        try await body()
    }

    @Test("http_proxy is honoured when proxyFromEnvironment is on, and ignored when off")
    func honoured() async throws {
        try await withTinyProxy { proxy in
            try await withLoopback { loopback in
                // Credentials missing on purpose: a 407 proves the connection went to the proxy.
                try await withEnvironment(["http_proxy": proxy.url(user: nil)]) {
                    var options = WebSocketClientOptions()
                    options.eventLoopGroup = loopback.group
                    options.proxyFromEnvironment = true
                    let viaProxy = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    let (message, _) = try await viaProxy.expectFailure(timeout: .seconds(10))
                    #expect(message.contains("407"))

                    options.proxyFromEnvironment = false
                    let direct = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    try await direct.expectOpen()
                    await direct.shutdown()
                }
                try await withEnvironment(["http_proxy": proxy.url()]) {
                    var options = WebSocketClientOptions()
                    options.eventLoopGroup = loopback.group
                    options.proxyFromEnvironment = true
                    let viaProxy = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    try await viaProxy.expectOpen(timeout: .seconds(10))
                    try await viaProxy.socket.send(.text("env proxy"))
                    #expect(try await viaProxy.nextMessage() == .text("env proxy"))
                    await viaProxy.shutdown()
                }
            }
        }
    }

    @Test("no_proxy bypasses the environment's proxy; an explicit proxy wins over the environment")
    func noProxyBypass() async throws {
        try await withRefusingPort { deadPort in
            try await withLoopback { loopback in
                try await withEnvironment([
                    "http_proxy": "http://127.0.0.1:\(deadPort)", "no_proxy": "localhost,127.0.0.1",
                ]) {
                    var options = WebSocketClientOptions()
                    options.eventLoopGroup = loopback.group
                    options.proxyFromEnvironment = true
                    let bypassing = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    try await bypassing.expectOpen()
                    await bypassing.shutdown()
                    // no_proxy only filters the environment's proxy: an explicit one is always used.
                    options.proxy = ProxySettings(url: "http://127.0.0.1:\(deadPort)")
                    let explicit = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    let (message, _) = try await explicit.expectFailure()
                    #expect(message.contains("127.0.0.1:\(deadPort)"))
                }
                try await withEnvironment(["http_proxy": "http://127.0.0.1:\(deadPort)"]) {
                    var options = WebSocketClientOptions()
                    options.eventLoopGroup = loopback.group
                    options.proxyFromEnvironment = true
                    let failing = RecordedSocket.connect("ws://127.0.0.1:\(loopback.port)/", clientOptions: options)
                    let (message, _) = try await failing.expectFailure()
                    #expect(message.contains("127.0.0.1:\(deadPort)"))
                }
            }
        }
    }
}
