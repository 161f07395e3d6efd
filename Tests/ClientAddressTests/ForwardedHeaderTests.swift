import ClientAddress
import Testing

@Suite("The Forwarded field (RFC 7239)")
struct ForwardedHeaderTests {
    private func node(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ForwardedNode? {
        let node = ForwardedNode(text)
        #expect(node != nil, "\(text)", sourceLocation: sourceLocation)
        return node
    }

    @Test("the RFC's examples")
    func rfcExamples() throws {
        let first = try ForwardedHeader(parsing: #"for="_gazonk""#)
        #expect(first.elements == [ForwardedElement(forwardedFor: ForwardedNode(name: .obfuscated("_gazonk")))])
        let second = try ForwardedHeader(parsing: #"For="[2001:db8:cafe::17]:4711""#)
        #expect(
            second.elements == [
                ForwardedElement(
                    forwardedFor: ForwardedNode(name: .address(ip("2001:db8:cafe::17")), port: .number(4711)))
            ])
        let third = try ForwardedHeader(parsing: "for=192.0.2.60;proto=http;by=203.0.113.43")
        #expect(
            third.elements == [
                ForwardedElement(
                    forwardedFor: ForwardedNode(name: .address(ip("192.0.2.60"))),
                    by: ForwardedNode(name: .address(ip("203.0.113.43"))), proto: "http")
            ])
        let fourth = try ForwardedHeader(parsing: "for=192.0.2.43, for=198.51.100.17")
        #expect(fourth.elements.map { $0.forwardedFor?.address } == [ip("192.0.2.43"), ip("198.51.100.17")])
        let fifth = try ForwardedHeader(parsing: #"for=192.0.2.43,for="[2001:db8:cafe::17]",for=unknown"#)
        #expect(
            fifth.elements.map { $0.forwardedFor?.name } == [
                .address(ip("192.0.2.43")), .address(ip("2001:db8:cafe::17")), .unknown,
            ])
        let sixth = try ForwardedHeader(parsing: #"for=unknown;by="_SEVKISEK:_4711""#)
        #expect(sixth.elements.first?.by == ForwardedNode(name: .obfuscated("_SEVKISEK"), port: .obfuscated("_4711")))
    }

    @Test("several field lines form one list, in order")
    func severalLines() throws {
        let header = try ForwardedHeader(parsing: ["for=192.0.2.1", "for=192.0.2.2, for=192.0.2.3"])
        #expect(
            header.elements.compactMap { $0.forwardedFor?.address } == [
                ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3"),
            ])
    }

    @Test("host and proto; parameter names in any case; quoted values with escapes")
    func parameters() throws {
        let header = try ForwardedHeader(
            parsing: #"FOR="192.0.2.1:8080";Host="example.com:8443";PROTO=HTTPS;by="\_h\i""#)
        let element = try #require(header.elements.first)
        #expect(element.forwardedFor == ForwardedNode(name: .address(ip("192.0.2.1")), port: .number(8080)))
        #expect(element.host == "example.com:8443")
        #expect(element.proto == "https")
        #expect(element.by == ForwardedNode(name: .obfuscated("_hi")))
        #expect(throws: ForwardedHeaderError(reason: .invalidValue(parameter: "host"), element: 0)) {
            try ForwardedHeader(parsing: "host=[2001:db8::1]")  // needs quotes
        }
        #expect(try ForwardedHeader(parsing: #"host="[2001:db8::1]:443""#).elements.first?.host == "[2001:db8::1]:443")
        #expect(
            try ForwardedHeader(parsing: "host=xn--bcher-kva.example").elements.first?.host == "xn--bcher-kva.example")
        #expect(try ForwardedHeader(parsing: "proto=coap+tcp").elements.first?.proto == "coap+tcp")
    }

    @Test("extensions are kept; empty list elements and pairs are skipped; white space around ; is tolerated")
    func tolerances() throws {
        let header = try ForwardedHeader(parsing: #" , for=192.0.2.1 ; Ext="a \"b\"" ;;, ,secret=_x ,;"#)
        #expect(
            header.elements == [
                ForwardedElement(
                    forwardedFor: ForwardedNode(name: .address(ip("192.0.2.1"))),
                    extensions: [.init(name: "ext", value: #"a "b""#)]),
                ForwardedElement(extensions: [.init(name: "secret", value: "_x")]),
                ForwardedElement(),
            ])
        #expect(header.description == #"for=192.0.2.1;ext="a \"b\"", secret=_x"#)
        #expect(header.elements[2].isEmpty && !header.elements[1].isEmpty)
        #expect(try ForwardedHeader(parsing: "").elements.isEmpty)
        #expect(try ForwardedHeader(parsing: [String]()).elements.isEmpty)
        #expect(try ForwardedHeader(parsing: "for=192.0.2.1;").elements.count == 1)
    }

    @Test("nodes: every form, with and without ports")
    func nodes() {
        #expect(node("192.0.2.1") == ForwardedNode(name: .address(ip("192.0.2.1"))))
        #expect(node("192.0.2.1:0") == ForwardedNode(name: .address(ip("192.0.2.1")), port: .number(0)))
        #expect(node("192.0.2.1:00080")?.port == .number(80), "1*5DIGIT")
        #expect(node("[::1]:65535") == ForwardedNode(name: .address(ip("::1")), port: .number(65535)))
        #expect(node("[::ffff:192.0.2.1]")?.address == ip("::ffff:192.0.2.1"))
        #expect(node("UnKnown:_p-1.x") == ForwardedNode(name: .unknown, port: .obfuscated("_p-1.x")))
        #expect(node("_a.b-c_d") == ForwardedNode(name: .obfuscated("_a.b-c_d")))
        #expect(node("_x:1")?.portNumber == 1)
        for bad in [
            "", "2001:db8::1", "[2001:db8::1", "[2001:db8::1]x", "[2001:db8::1]:", "[1.2.3.4]", "192.0.2.1:",
            "192.0.2.1:65536", "192.0.2.1:123456", "192.0.2.01", "_", "_a b", "_a:_", "unknown:", "host.example",
            "192.0.2.1:_", "192.0.2.1:x", "[fe80::1%25eth0]", "[]",
        ] {
            #expect(ForwardedNode(bad) == nil, "\(bad)")
        }
    }

    @Test(
        "malformed values are refused with their reason and element",
        arguments: [
            ("for", ForwardedHeaderError.Reason.missingValue(parameter: "for"), 0),
            ("for=", .invalidValue(parameter: "for"), 0),
            ("=x", .invalidParameterName, 0),
            ("f@r=x", .invalidParameterName, 0),
            ("for =192.0.2.1", .invalidParameterName, 0),
            ("for= 192.0.2.1", .invalidValue(parameter: "for"), 0),
            ("for=[2001:db8::1]", .invalidValue(parameter: "for"), 0),
            ("for=192.0.2.1:80", .invalidValue(parameter: "for"), 0),
            (#"for="192.0.2.1"x"#, .invalidValue(parameter: "for"), 0),
            (#"for="192.0.2.1"#, .invalidValue(parameter: "for"), 0),
            ("for=\"a\u{01}\"", .invalidValue(parameter: "for"), 0),
            ("for=192.0.2.1, for=192.0.2.2;for=192.0.2.3", .duplicateParameter("for"), 1),
            ("for=_a;FOR=_b", .duplicateParameter("for"), 0),
            ("x=1;X=2", .duplicateParameter("x"), 0),
            ("for=192.0.2.1, for=nonsense", .invalidNode(parameter: "for"), 1),
            ("by=1.2.3", .invalidNode(parameter: "by"), 0),
            ("proto=1http", .invalidProtocol, 0),
            ("proto=ht_tp", .invalidProtocol, 0),
            (#"proto="""#, .invalidProtocol, 0),
            ("host=exa%mple.com", .invalidHost, 0),
            (#"host="example.com:""#, .invalidHost, 0),
            (#"host="example.com:65536""#, .invalidHost, 0),
            (#"host="[::1""#, .invalidHost, 0),
            (#"host="exa mple""#, .invalidHost, 0),
            (#"host="""#, .invalidHost, 0),
            (#"host="a/b""#, .invalidHost, 0),
        ] as [(String, ForwardedHeaderError.Reason, Int)])
    func malformed(text: String, reason: ForwardedHeaderError.Reason, element: Int) {
        #expect(throws: ForwardedHeaderError(reason: reason, element: element)) { try ForwardedHeader(parsing: text) }
        #expect(ForwardedHeader(validating: text) == nil)
    }

    @Test("a quoted comma or semicolon does not split")
    func quotedSeparators() throws {
        let header = try ForwardedHeader(parsing: #"ext="a,b;c\"d", for=_x"#)
        #expect(header.elements.count == 2)
        #expect(header.elements[1].forwardedFor?.name == .obfuscated("_x"))
    }

    @Test("bounds: length and element count")
    func bounds() throws {
        let limits = ForwardedHeader.Limits(maxLength: 30, maxElements: 2)
        #expect(try ForwardedHeader(parsing: "for=192.0.2.1, for=192.0.2.2", limits: limits).elements.count == 2)
        #expect(throws: ForwardedHeaderError(reason: .tooManyElements(limit: 2))) {
            try ForwardedHeader(parsing: "for=_a, for=_b, for=_c", limits: limits)
        }
        #expect(throws: ForwardedHeaderError(reason: .tooLong(limit: 30))) {
            try ForwardedHeader(parsing: ["for=192.0.2.1", "for=192.0.2.2", "for=_c"], limits: limits)
        }
        #expect(try ForwardedHeader(parsing: " , , , for=_a", limits: limits).elements.count == 1)
        let many = Array(repeating: "for=_a", count: 65).joined(separator: ",")
        #expect(throws: ForwardedHeaderError(reason: .tooManyElements(limit: 64))) {
            try ForwardedHeader(parsing: many)
        }
        let long = "for=_" + String(repeating: "a", count: 8192)
        #expect(throws: ForwardedHeaderError(reason: .tooLong(limit: 8192))) { try ForwardedHeader(parsing: long) }
        #expect(
            ForwardedHeader.Limits(maxLength: -1, maxElements: -5)
                == ForwardedHeader.Limits(maxLength: 0, maxElements: 0))
    }

    @Test("elements print as field values that parse back")
    func roundTrip() throws {
        let element = ForwardedElement(
            forwardedFor: ForwardedNode(name: .address(ip("2001:db8::1")), port: .number(4711)),
            by: ForwardedNode(name: .unknown), host: "example.com", proto: "https")
        #expect(element.description == #"for="[2001:db8::1]:4711";by=unknown;host=example.com;proto=https"#)
        let header = ForwardedHeader(elements: [
            element, ForwardedElement(forwardedFor: ForwardedNode(name: .address(ip("192.0.2.1")))),
        ])
        #expect(
            header.description == #"for="[2001:db8::1]:4711";by=unknown;host=example.com;proto=https, for=192.0.2.1"#)
        #expect(try ForwardedHeader(parsing: header.description) == header)
        #expect(ForwardedNode(name: .obfuscated("_x"), port: .obfuscated("_y")).description == "_x:_y")
    }

    @Test("error messages name the problem and the element")
    func messages() {
        #expect(
            ForwardedHeaderError(reason: .invalidNode(parameter: "for"), element: 2).description
                == "The Forwarded parameter for is not an address, unknown or an obfuscated identifier (element 3)")
        #expect(
            ForwardedHeaderError(reason: .tooLong(limit: 10)).description
                == "The Forwarded field is longer than 10 bytes")
        let reasons: [ForwardedHeaderError.Reason] = [
            .tooManyElements(limit: 1), .invalidParameterName, .missingValue(parameter: "by"),
            .invalidValue(parameter: "by"), .duplicateParameter("by"), .invalidProtocol, .invalidHost,
        ]
        for reason in reasons {
            #expect(ForwardedHeaderError(reason: reason).description.hasPrefix("The Forwarded "))
        }
    }
}
