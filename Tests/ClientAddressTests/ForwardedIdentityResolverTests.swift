import ClientAddress
import Testing

@Suite("Resolving the client behind trusted proxies")
struct ForwardedIdentityResolverTests {
    typealias Headers = [(name: String, value: String)]

    static let trusted: TrustedProxies = {
        do {
            return try TrustedProxies(parsing: "10.0.0.0/8, 127.0.0.1, ::1, fd00::/8")
        } catch {
            fatalError("\(error)")
        }
    }()
    static let resolver = ForwardedIdentityResolver(trustedProxies: trusted)
    static let proxy = IPAddress.ipv4(10, 0, 0, 1)
    static let stranger = IPAddress.ipv4(198, 51, 100, 77)

    private func resolve(
        _ headers: Headers, peer: IPAddress = proxy, port: UInt16? = nil, resolver: ForwardedIdentityResolver = resolver
    ) -> ForwardedIdentity {
        resolver.resolve(peer: peer, port: port, headers: headers)
    }

    // MARK: - Trust

    @Test("an untrusted peer's headers are ignored, all of them")
    func untrustedPeer() {
        let headers: Headers = [
            ("Forwarded", "for=203.0.113.9;proto=https;host=evil.example"),
            ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"),
        ]
        let identity = resolve(headers, peer: Self.stranger, port: 5555)
        #expect(identity == ForwardedIdentity(address: Self.stranger, port: 5555, source: .connection))
        #expect(resolve(headers, peer: ip("::ffff:198.51.100.77")).address == ip("::ffff:198.51.100.77"))
    }

    @Test("with nothing trusted, nothing is believed, not even from loopback")
    func nothingTrusted() {
        let resolver = ForwardedIdentityResolver(trustedProxies: TrustedProxies())
        let identity = resolver.resolve(peer: ip("127.0.0.1"), headers: [("X-Forwarded-For", "203.0.113.9")])
        #expect(identity.address == ip("127.0.0.1"))
        #expect(identity.source == .connection)
    }

    @Test("a trusted peer is recognized in its IPv4-mapped form")
    func mappedPeer() {
        let identity = resolve([("X-Forwarded-For", "203.0.113.9")], peer: ip("::ffff:10.0.0.1"))
        #expect(identity.address == ip("203.0.113.9"))
    }

    @Test("a trusted peer without forwarding headers is the client")
    func noHeaders() {
        let identity = resolve([("Host", "example.com")], port: 1234)
        #expect(identity == ForwardedIdentity(address: Self.proxy, port: 1234))
    }

    // MARK: - X-Forwarded-*

    @Test("X-Forwarded-For, -Proto and -Host from one trusted proxy")
    func xForwarded() {
        let identity = resolve([
            ("x-forwarded-for", "203.0.113.9"), ("X-FORWARDED-PROTO", "HTTPS"),
            ("X-Forwarded-Host", "example.com:8443"),
        ])
        #expect(
            identity
                == ForwardedIdentity(
                    address: ip("203.0.113.9"), scheme: "https", host: "example.com:8443", source: .xForwardedFor))
    }

    @Test("a forged left part is never read: the nearest untrusted address is the client")
    func forgedChain() {
        // The client sent `X-Forwarded-For: 1.2.3.4`; our proxy appended the address it saw.
        let identity = resolve([("X-Forwarded-For", "1.2.3.4, 203.0.113.9")])
        #expect(identity.address == ip("203.0.113.9"))
        // A forged trusted address on the left does not help either.
        #expect(resolve([("X-Forwarded-For", "10.0.0.99, 203.0.113.9")]).address == ip("203.0.113.9"))
        // Two trusted proxies: both are skipped.
        #expect(resolve([("X-Forwarded-For", "1.2.3.4, 203.0.113.9, 10.0.0.2, fd00::5")]).address == ip("203.0.113.9"))
        // A client-sent separate field line is to the left too.
        let lines = resolve([("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-For", "203.0.113.9, 10.0.0.2")])
        #expect(lines.address == ip("203.0.113.9"))
    }

    @Test("when every address is trusted, the leftmost is the client")
    func allTrusted() {
        #expect(resolve([("X-Forwarded-For", "10.0.0.3, 10.0.0.2")]).address == ip("10.0.0.3"))
        #expect(resolve([("Forwarded", "for=10.0.0.3, for=10.0.0.2")]).address == ip("10.0.0.3"))
    }

    @Test("garbage stops the walk: the last good address is used")
    func garbageStops() {
        #expect(resolve([("X-Forwarded-For", "203.0.113.9, garbage, 10.0.0.2")]).address == ip("10.0.0.2"))
        let first = resolve([("X-Forwarded-For", "1.2.3.4, garbage")], port: 99)
        #expect(first == ForwardedIdentity(address: Self.proxy, port: 99), "garbage first: the peer")
        #expect(resolve([("X-Forwarded-For", "unknown")]).address == Self.proxy)
        #expect(resolve([("X-Forwarded-For", "203.0.113.9, 10.0.0.2:80:80")]).address == Self.proxy)
    }

    @Test("X-Forwarded-For entries: IPv4, IPv6, brackets, ports; empty entries are skipped")
    func xForwardedForForms() {
        #expect(
            resolve([("X-Forwarded-For", "203.0.113.9:4711")])
                == ForwardedIdentity(address: ip("203.0.113.9"), port: 4711, source: .xForwardedFor))
        #expect(resolve([("X-Forwarded-For", "2001:db8::9")]).address == ip("2001:db8::9"))
        #expect(resolve([("X-Forwarded-For", "[2001:db8::9]")]).address == ip("2001:db8::9"))
        let bracketed = resolve([("X-Forwarded-For", "[2001:db8::9]:443")])
        #expect(bracketed.address == ip("2001:db8::9") && bracketed.port == 443)
        #expect(resolve([("X-Forwarded-For", " 203.0.113.9 ,, ")]).address == ip("203.0.113.9"))
        #expect(resolve([("X-Forwarded-For", "")]).address == Self.proxy)
        #expect(resolve([("X-Forwarded-For", "[2001:db8::9]:_x")]).address == Self.proxy)
        #expect(resolve([("X-Forwarded-For", "203.0.113.9:080")]).address == Self.proxy)
        #expect(resolve([("X-Forwarded-For", "fe80::1%eth0")]).address == Self.proxy)
    }

    @Test("X-Forwarded-Proto and -Host are taken entry for entry, or from the nearest hop that gave one")
    func xForwardedAlignment() {
        // CDN (saw the client over https) -> our proxy 10.0.0.2 (saw the CDN over http) -> peer.
        let aligned = resolve([
            ("X-Forwarded-For", "203.0.113.9, 10.0.0.2"), ("X-Forwarded-Proto", "https, http"),
            ("X-Forwarded-Host", "example.com, internal"),
        ])
        #expect(aligned.address == ip("203.0.113.9"))
        #expect(aligned.scheme == "https")
        #expect(aligned.host == "example.com")
        // One value for the whole chain.
        let single = resolve([("X-Forwarded-For", "203.0.113.9, 10.0.0.2"), ("X-Forwarded-Proto", "https")])
        #expect(single.scheme == "https")
        // Values beyond the client's hop are not read.
        let beyond = resolve([("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "ftp, https")])
        #expect(beyond.scheme == "https")
        // Invalid values are skipped.
        let invalid = resolve([
            ("X-Forwarded-For", "203.0.113.9, 10.0.0.2"), ("X-Forwarded-Proto", "h t t p, https"),
            ("X-Forwarded-Host", "bad host, example.com"),
        ])
        #expect(invalid.scheme == "https")
        #expect(invalid.host == "example.com")
        // Without X-Forwarded-For, the peer's own values count.
        let only = resolve([("X-Forwarded-Proto", "https")], port: 1)
        #expect(only == ForwardedIdentity(address: Self.proxy, port: 1, scheme: "https"))
    }

    // MARK: - Forwarded

    @Test("Forwarded from one trusted proxy, with port, proto and host")
    func forwarded() {
        let identity = resolve([("Forwarded", #"for="[2001:db8::9]:4711";proto=https;host=example.com"#)])
        #expect(
            identity
                == ForwardedIdentity(
                    address: ip("2001:db8::9"), port: 4711, scheme: "https", host: "example.com", source: .forwarded))
    }

    @Test("Forwarded: forged left parts and trusted hops")
    func forwardedChain() {
        let forged = resolve([
            ("Forwarded", "for=1.2.3.4;proto=http, for=203.0.113.9;proto=https, for=10.0.0.2;proto=http")
        ])
        #expect(forged.address == ip("203.0.113.9"))
        #expect(forged.scheme == "https")
        let lines = resolve([("Forwarded", "for=1.2.3.4"), ("forwarded", "for=203.0.113.9")])
        #expect(lines.address == ip("203.0.113.9"))
        // proto from the nearest hop that gave one.
        let nearest = resolve([("Forwarded", "for=203.0.113.9, for=10.0.0.2;proto=https")])
        #expect(nearest.scheme == "https")
    }

    @Test("Forwarded: a malformed element, unknown or obfuscated for, or no for, stops the walk")
    func forwardedStops() {
        #expect(resolve([("Forwarded", "for=203.0.113.9, for=10.0.0.2;for=10.0.0.3")]).address == Self.proxy)
        #expect(resolve([("Forwarded", "for=203.0.113.9, bogus, for=10.0.0.2")]).address == ip("10.0.0.2"))
        #expect(resolve([("Forwarded", "for=203.0.113.9, for=unknown")]).address == Self.proxy)
        #expect(resolve([("Forwarded", "for=203.0.113.9, for=_hidden, for=10.0.0.2")]).address == ip("10.0.0.2"))
        let protoOnly = resolve([("Forwarded", "for=203.0.113.9, proto=https")])
        #expect(protoOnly.address == Self.proxy)
        #expect(protoOnly.scheme == "https", "a well-formed element still gives its proto")
        // An unterminated quote in a client's line does not swallow the proxy's line.
        let quote = resolve([("Forwarded", #"for="1.2.3.4"#), ("Forwarded", "for=203.0.113.9")])
        #expect(quote.address == ip("203.0.113.9"))
    }

    @Test("Forwarded is preferred over X-Forwarded-* by default; the policy can pick either")
    func policy() {
        let headers: Headers = [
            ("X-Forwarded-For", "192.0.2.1"), ("Forwarded", "for=203.0.113.9"), ("X-Forwarded-Proto", "https"),
        ]
        let preferred = resolve(headers)
        #expect(preferred.address == ip("203.0.113.9"))
        #expect(preferred.scheme == nil, "X-Forwarded-Proto is not mixed in")
        var resolver = Self.resolver
        resolver.headerPolicy = .xForwardedOnly
        #expect(resolve(headers, resolver: resolver).address == ip("192.0.2.1"))
        #expect(resolve(headers, resolver: resolver).scheme == "https")
        resolver.headerPolicy = .forwardedOnly
        #expect(resolve(headers, resolver: resolver).address == ip("203.0.113.9"))
        #expect(resolve([("X-Forwarded-For", "192.0.2.1")], resolver: resolver).address == Self.proxy)
        // A blank Forwarded field does not count as present.
        #expect(resolve([("Forwarded", " "), ("X-Forwarded-For", "192.0.2.1")]).address == ip("192.0.2.1"))
        // A present but malformed one does: X-Forwarded-For is not read.
        #expect(resolve([("Forwarded", "garbage"), ("X-Forwarded-For", "192.0.2.1")]).address == Self.proxy)
    }

    @Test("at most maxHops entries are read")
    func hopBound() {
        let chain = (1...40).map { "10.0.0.\($0)" }.joined(separator: ", ")
        let xff = resolve([("X-Forwarded-For", "203.0.113.9, " + chain)])
        #expect(xff.address == ip("10.0.0.9"), "the 32nd from the right, the last read")
        let forwarded = (1...40).map { "for=10.0.0.\($0)" }.joined(separator: ", ")
        #expect(resolve([("Forwarded", "for=203.0.113.9, " + forwarded)]).address == ip("10.0.0.9"))
        var resolver = Self.resolver
        resolver.maxHops = 2
        #expect(
            resolve([("X-Forwarded-For", "203.0.113.9, 10.0.0.3, 10.0.0.2")], resolver: resolver).address
                == ip("10.0.0.3"))
        #expect(resolve([("X-Forwarded-For", "203.0.113.9, , 10.0.0.2")], resolver: resolver).address == ip("10.0.0.2"))
        resolver.maxHops = 0
        #expect(resolve([("X-Forwarded-For", "203.0.113.9")], resolver: resolver).address == Self.proxy)
        resolver.maxHops = -3
        #expect(resolve([("Forwarded", "for=203.0.113.9")], resolver: resolver).address == Self.proxy)
    }

    @Test("a huge field costs only the entries read")
    func hugeField() {
        let junk = String(repeating: "x,", count: 100_000)
        #expect(resolve([("X-Forwarded-For", junk + "203.0.113.9")]).address == ip("203.0.113.9"))
    }

    @Test("endpoints and descriptions")
    func endpoints() {
        let identity = Self.resolver.resolve(
            peer: SocketEndpoint(address: Self.proxy, port: 1), headers: [("X-Forwarded-Proto", "https")])
        #expect(identity == ForwardedIdentity(address: Self.proxy, port: 1, scheme: "https"))
        #expect(identity.description == "10.0.0.1:1 (connection, https)")
        let full = ForwardedIdentity(
            address: ip("2001:db8::1"), port: 80, scheme: "http", host: "a.example", source: .forwarded)
        #expect(full.description == "[2001:db8::1]:80 (Forwarded, http, host a.example)")
        #expect(
            ForwardedIdentity(address: Self.stranger, source: .xForwardedFor).description
                == "198.51.100.77 (X-Forwarded-For)")
    }
}
