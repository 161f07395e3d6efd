import Testing

@testable import WebSocketDriver

/// `ws:` and `wss:` URLs (RFC 6455 §3).
@Suite struct URLTests {
    @Test func plainURL() throws {
        let url = try WebSocketURL("ws://www.example.com/socket")
        #expect(url.scheme == "ws")
        #expect(url.host == "www.example.com")
        #expect(url.explicitPort == nil)
        #expect(url.port == 80)
        #expect(!url.isSecure)
        #expect(url.requestTarget == "/socket")
        #expect(url.hostHeader == "www.example.com")
        #expect(url.user == nil && url.password == nil)
        #expect(url.description == "ws://www.example.com/socket")
    }

    @Test func secureURLAndSchemeCase() throws {
        let url = try WebSocketURL("WSS://Example.COM:8443/a?b=c")
        #expect(url.scheme == "wss")
        #expect(url.isSecure)
        #expect(url.host == "Example.COM")
        #expect(url.port == 8443)
        #expect(url.hostHeader == "Example.COM:8443")
        #expect(url.requestTarget == "/a?b=c")
        #expect(url.description == "wss://Example.COM:8443/a?b=c")
        #expect(try WebSocketURL("wss://h").port == 443)
    }

    @Test func defaultPortsAreLeftOutOfHost() throws {
        #expect(try WebSocketURL("ws://h:80/").hostHeader == "h")
        #expect(try WebSocketURL("wss://h:443/").hostHeader == "h")
        #expect(try WebSocketURL("ws://h:443/").hostHeader == "h:443")
        #expect(try WebSocketURL("wss://h:80/").hostHeader == "h:80")
        // The description keeps what was written.
        #expect(try WebSocketURL("ws://h:80/").description == "ws://h:80/")
    }

    @Test func ipv6Literals() throws {
        let url = try WebSocketURL("ws://[::1]:8080/x")
        #expect(url.host == "::1")
        #expect(url.isIPv6Literal)
        #expect(url.port == 8080)
        #expect(url.hostHeader == "[::1]:8080")
        #expect(url.description == "ws://[::1]:8080/x")
        let bare = try WebSocketURL("wss://[2001:db8::7]")
        #expect(bare.hostHeader == "[2001:db8::7]")
        #expect(bare.requestTarget == "/")
    }

    @Test func requestTargets() throws {
        #expect(try WebSocketURL("ws://h").requestTarget == "/")
        #expect(try WebSocketURL("ws://h?q=1").requestTarget == "/?q=1")
        #expect(try WebSocketURL("ws://h/p#frag").requestTarget == "/p")
        #expect(try WebSocketURL("ws://h#frag").requestTarget == "/")
        #expect(try WebSocketURL("ws://h/a%20b?x=%2F").requestTarget == "/a%20b?x=%2F")
    }

    @Test func userinfoIsPercentDecoded() throws {
        let url = try WebSocketURL("ws://us%40er:p%3Ass@h/")
        #expect(url.user == "us@er")
        #expect(url.password == "p:ss")
        #expect(url.host == "h")
        #expect(url.description == "ws://h/")
        let noPassword = try WebSocketURL("ws://user@h")
        #expect(noPassword.user == "user")
        #expect(noPassword.password == nil)
        let emptyPassword = try WebSocketURL("ws://user:@h")
        #expect(emptyPassword.password == "")
        // The last @ ends the userinfo.
        let at = try WebSocketURL("ws://a@b@h:81")
        #expect(at.user == "a@b")
        #expect(at.port == 81)
        let unicode = try WebSocketURL("ws://%C3%A9:x@h")
        #expect(unicode.user == "é")
    }

    @Test func internationalHostNamesAreKept() throws {
        #expect(try WebSocketURL("ws://bücher.example/").host == "bücher.example")
    }

    @Test func portRange() throws {
        #expect(try WebSocketURL("ws://h:1").port == 1)
        #expect(try WebSocketURL("ws://h:65535").port == 65535)
        #expect(try WebSocketURL("ws://h:080").port == 80)
    }

    @Test func invalidURLs() {
        let cases: [(String, String)] = [
            ("stream.wikimedia.org/rc", "missing scheme"),
            ("http://h/", "the scheme must be ws or wss"),
            ("wss+unix://h/", "the scheme must be ws or wss"),
            ("ws://", "missing host"),
            ("ws:///path", "missing host"),
            ("ws://:80/", "missing host"),
            ("ws://h:0/", "the port must be 1 to 65535"),
            ("ws://h:65536/", "the port must be 1 to 65535"),
            ("ws://h:/", "the port must be 1 to 65535"),
            ("ws://h:8a/", "the port must be 1 to 65535"),
            ("ws://h:+80/", "the port must be 1 to 65535"),
            ("ws://h:000080/", "the port must be 1 to 65535"),
            ("ws://[::1/", "unclosed IPv6 literal"),
            ("ws://[::1]x/", "junk after the IPv6 literal"),
            ("ws://[zz]/", "bad IPv6 literal"),
            ("ws://[]/", "bad IPv6 literal"),
            ("ws://h/a b", "the path contains spaces or control characters"),
            ("ws://h/a\u{7}", "the path contains spaces or control characters"),
            ("ws://h/?\u{7F}", "the path contains spaces or control characters"),
            ("ws://ho st/", "the host has invalid characters"),
            ("ws://h<>/", "the host has invalid characters"),
            ("ws://a%zz@h/", "the userinfo has a bad percent escape"),
            ("ws://a:%4@h/", "the userinfo has a bad percent escape"),
            ("ws://%FF@h/", "the userinfo has a bad percent escape"),
        ]
        for (text, why) in cases {
            #expect(throws: WebSocketURLError.invalid(text, why), "\(text)") { try WebSocketURL(text) }
        }
    }

    @Test func errorDescription() {
        let error = WebSocketURLError.invalid("stream.wikimedia.org/rc", "missing scheme")
        #expect(error.description == "stream.wikimedia.org/rc is not a valid WebSocket URL: missing scheme")
    }
}
