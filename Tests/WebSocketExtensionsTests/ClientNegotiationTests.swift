import Testing

@testable import WebSocketExtensions

/// The Ruby spec's three extensions, with the offers and responses it uses.
struct ClientFixture {
    let log = CallLog()
    var deflateBehaviour = FakeBehaviour(offers: [[param("mode", "compress")]])
    var tarBehaviour = FakeBehaviour(offers: [[flag("gzip")]])
    var reverseBehaviour = FakeBehaviour(offers: [[flag("utf8")]])

    func registry(_ names: String...) throws -> ExtensionRegistry {
        try registry(names)
    }

    func registry(_ names: [String]) throws -> ExtensionRegistry {
        var registry = ExtensionRegistry()
        for name in names {
            switch name {
            case "deflate": try registry.add(deflate(log, deflateBehaviour))
            case "tar": try registry.add(tar(log, tarBehaviour))
            default: try registry.add(reverse(log, reverseBehaviour))
            }
        }
        return registry
    }

    func negotiation(_ names: String...) throws -> ClientExtensionNegotiation {
        try registry(names).makeClientNegotiation()
    }
}

/// The Ruby spec's client `generate_offer` cases (6–13).
@Suite("Client negotiation: offers")
struct ClientOfferTests {
    @Test("each extension's client session is created exactly once")
    func sessionCreatedOnce() throws {
        let fixture = ClientFixture()
        _ = try fixture.negotiation("deflate")
        #expect(fixture.log.count(.makeClientSession("deflate")) == 1)
    }

    @Test("the session is asked for its offers once")
    func offerGeneratedOnce() throws {
        let fixture = ClientFixture()
        _ = try fixture.negotiation("deflate")
        #expect(fixture.log.count(.generateOffer("deflate")) == 1)
    }

    @Test("without a session no offer is asked for")
    func noSession() throws {
        var fixture = ClientFixture()
        fixture.deflateBehaviour.createsClientSession = false
        let negotiation = try fixture.negotiation("deflate")
        #expect(fixture.log.calls == [.makeClientSession("deflate")])
        #expect(negotiation.offerHeader == nil)
    }

    @Test("the offer is serialized as name; params")
    func offerHeader() throws {
        #expect(try ClientFixture().negotiation("deflate").offerHeader == "deflate; mode=compress")
    }

    @Test("a session that offers nothing gives no header and is closed at once")
    func emptyOffer() throws {
        var fixture = ClientFixture()
        fixture.deflateBehaviour.offers = []
        let negotiation = try fixture.negotiation("deflate")
        #expect(negotiation.offerHeader == nil)
        #expect(fixture.log.calls == [.makeClientSession("deflate"), .generateOffer("deflate"), .close("deflate")])
    }

    @Test("several offers of one extension are listed in order")
    func severalOffers() throws {
        var fixture = ClientFixture()
        fixture.deflateBehaviour.offers = [[param("mode", "compress")], []]
        #expect(try fixture.negotiation("deflate").offerHeader == "deflate; mode=compress, deflate")
    }

    @Test("several extensions are offered in registration order")
    func severalExtensions() throws {
        #expect(
            try ClientFixture().negotiation("deflate", "reverse").offerHeader == "deflate; mode=compress, reverse; utf8"
        )
        #expect(
            try ClientFixture().negotiation("reverse", "deflate").offerHeader == "reverse; utf8, deflate; mode=compress"
        )
    }

    @Test("extensions with conflicting reserved bits are both offered")
    func conflictingOffered() throws {
        #expect(try ClientFixture().negotiation("deflate", "tar").offerHeader == "deflate; mode=compress, tar; gzip")
    }

    @Test("only sessions with an offer stay open; the others are closed")
    func sessionsWithoutOfferClosed() throws {
        var fixture = ClientFixture()
        fixture.tarBehaviour.offers = []
        let negotiation = try fixture.negotiation("deflate", "tar", "reverse")
        #expect(negotiation.offerHeader == "deflate; mode=compress, reverse; utf8")
        #expect(fixture.log.closed == ["tar"])
    }

    @Test("an offer that cannot be serialized fails and closes every session")
    func invalidOffer() throws {
        var fixture = ClientFixture()
        fixture.tarBehaviour.offers = [[param("level", "a\nb")]]
        fixture.reverseBehaviour.offers = []
        let registry = try fixture.registry("deflate", "tar", "reverse")
        let expected = ExtensionError.invalidParameters(
            extension: "tar",
            .invalidValue(parameter: "level", value: "a\nb")
        )
        #expect(throws: expected) { try registry.makeClientNegotiation() }
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse", "tar"])
        #expect(
            expected.description
                == #"Extension "tar" generated invalid parameters: Invalid Sec-WebSocket-Extensions value for level: "a\nb" contains a control character"#
        )
    }

    @Test("an offer with a parameter name that is not a token fails")
    func invalidOfferName() throws {
        var fixture = ClientFixture()
        fixture.reverseBehaviour.offers = [[flag("a b")]]
        let registry = try fixture.registry("deflate", "reverse")
        #expect(throws: ExtensionError.invalidParameters(extension: "reverse", .invalidName("a b"))) {
            try registry.makeClientNegotiation()
        }
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
    }

    @Test("an empty registry offers nothing")
    func emptyRegistry() throws {
        let negotiation = try ExtensionRegistry().makeClientNegotiation()
        #expect(negotiation.offerHeader == nil)
        #expect(try negotiation.activate(responseHeader: nil).isEmpty)
    }

    @Test("each negotiation creates fresh sessions")
    func freshSessions() throws {
        let fixture = ClientFixture()
        let registry = try fixture.registry("deflate")
        _ = try registry.makeClientNegotiation()
        _ = try registry.makeClientNegotiation()
        #expect(fixture.log.count(.makeClientSession("deflate")) == 2)
    }
}

/// The Ruby spec's client `activate` cases (14–24), and the rest of activation.
@Suite("Client negotiation: activate")
struct ClientActivateTests {
    @Test("a response for an extension that was never registered is refused")
    func unknownExtension() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate", "reverse")
        #expect(throws: ExtensionError.unknownExtension("xml")) { try negotiation.activate(responseHeader: "xml") }
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
        #expect(
            ExtensionError.unknownExtension("xml").description
                == #"Server sent an extension response for unknown extension "xml""#
        )
    }

    @Test("accepting one offered extension works")
    func acceptDeflate() throws {
        let pipeline = try ClientFixture().negotiation("deflate", "tar", "reverse").activate(responseHeader: "deflate")
        #expect(pipeline.extensionNames == ["deflate"])
        #expect(pipeline.reservedBits == .rsv1)
    }

    @Test("accepting a conflicting extension alone works")
    func acceptTarAlone() throws {
        let fixture = ClientFixture()
        let pipeline = try fixture.negotiation("deflate", "tar", "reverse").activate(responseHeader: "tar")
        #expect(pipeline.extensionNames == ["tar"])
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
    }

    @Test("accepting two extensions that share RSV1 is refused")
    func rsvConflict() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate", "tar", "reverse")
        let expected = ExtensionError.reservedBitConflict(.rsv1, first: "deflate", second: "tar")
        #expect(throws: expected) { try negotiation.activate(responseHeader: "deflate, tar") }
        #expect(
            expected.description == #"Server sent two extension responses that use the RSV1 bit: "deflate" and "tar""#)
        // The conflicting session is refused before it is asked.
        #expect(fixture.log.count(.activate("tar", [])) == 0)
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse", "tar"])
    }

    @Test("accepting two extensions on different bits works")
    func acceptDeflateAndReverse() throws {
        let pipeline = try ClientFixture().negotiation("deflate", "tar", "reverse").activate(
            responseHeader: "deflate, reverse"
        )
        #expect(pipeline.extensionNames == ["deflate", "reverse"])
        #expect(pipeline.reservedBits == [.rsv1, .rsv2])
    }

    @Test(
        "the session receives the response's parameters",
        arguments: [
            ("deflate", "deflate", ExtensionParameters()),
            ("tar", "tar; gzip", ExtensionParameters([flag("gzip")])),
            ("deflate", "deflate; mode=compress", ExtensionParameters([param("mode", "compress")])),
            (
                "deflate", #"deflate; mode="a \"b\""; x; x=1"#,
                ExtensionParameters([param("mode", #"a "b""#), flag("x"), param("x", "1")])
            ),
        ]
    )
    func activationParameters(name: String, header: String, expected: ExtensionParameters) throws {
        let fixture = ClientFixture()
        _ = try fixture.negotiation("deflate", "tar", "reverse").activate(responseHeader: header)
        #expect(fixture.log.calls.contains(.activate(name, expected)))
        #expect(fixture.log.activations == [expected])
    }

    @Test("two sessions each receive their own parameters")
    func parametersPerSession() throws {
        let fixture = ClientFixture()
        _ = try fixture.negotiation("deflate", "reverse").activate(
            responseHeader: "deflate; mode=compress, reverse; utf8")
        let activations = fixture.log.calls.filter {
            if case .activate = $0 { return true }
            return false
        }
        #expect(
            activations == [.activate("deflate", [param("mode", "compress")]), .activate("reverse", [flag("utf8")])])
    }

    @Test("extensions the response does not name are not activated, and are closed")
    func unnamedNotActivated() throws {
        let fixture = ClientFixture()
        let pipeline = try fixture.negotiation("deflate", "reverse").activate(responseHeader: "reverse")
        #expect(fixture.log.activations == [[]])
        #expect(fixture.log.count(.activate("deflate", [])) == 0)
        #expect(fixture.log.closed == ["deflate"])
        #expect(pipeline.extensionNames == ["reverse"])
    }

    @Test("a session that refuses the parameters fails the negotiation, with the reason")
    func sessionRefuses() throws {
        var fixture = ClientFixture()
        fixture.deflateBehaviour.refusal = "mode must be compress or none"
        let negotiation = try fixture.negotiation("deflate", "reverse")
        let expected = ExtensionError.parametersRejected(
            extension: "deflate",
            parameters: "deflate; mode=explode",
            reason: "mode must be compress or none"
        )
        #expect(throws: expected) { try negotiation.activate(responseHeader: "reverse, deflate; mode=explode") }
        #expect(
            expected.description
                == "Server sent unacceptable extension parameters: deflate; mode=explode "
                + "(deflate: mode must be compress or none)"
        )
        // The session activated before the failure is closed too.
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
    }

    @Test("the server's order becomes the pipeline order")
    func serverOrder() throws {
        let pipeline = try ClientFixture().negotiation("deflate", "reverse").activate(
            responseHeader: "reverse, deflate")
        #expect(pipeline.extensionNames == ["reverse", "deflate"])
    }

    @Test("the same extension accepted twice is refused, even without reserved bits")
    func duplicateResponse() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate")
        #expect(throws: ExtensionError.duplicateResponse("deflate")) {
            try negotiation.activate(responseHeader: "deflate, deflate; mode=compress")
        }
        #expect(fixture.log.closed == ["deflate"])
        #expect(
            ExtensionError.duplicateResponse("deflate").description
                == #"Server sent more than one extension response for "deflate""#
        )

        let log = CallLog()
        let plain = FakeExtension(name: "plain", reservedBits: [], log: log)
        let plainNegotiation = try makeRegistry(plain).makeClientNegotiation()
        #expect(throws: ExtensionError.duplicateResponse("plain")) {
            try plainNegotiation.activate(responseHeader: "plain, plain")
        }
        #expect(log.closed == ["plain"])
    }

    @Test("an extension without reserved bits coexists with any other")
    func noBitsNoConflict() throws {
        let fixture = ClientFixture()
        let plain = FakeExtension(name: "plain", reservedBits: [], log: fixture.log)
        var registry = try fixture.registry("deflate")
        try registry.add(plain)
        let pipeline = try registry.makeClientNegotiation().activate(responseHeader: "plain, deflate")
        #expect(pipeline.extensionNames == ["plain", "deflate"])
        #expect(pipeline.reservedBits == .rsv1)
    }

    @Test("a conflict on one of several bits names that bit")
    func partialConflict() throws {
        let fixture = ClientFixture()
        let both = FakeExtension(name: "both", reservedBits: [.rsv2, .rsv3], log: fixture.log)
        var registry = try fixture.registry("deflate", "reverse")
        try registry.add(both)
        let negotiation = try registry.makeClientNegotiation()
        let expected = ExtensionError.reservedBitConflict(.rsv2, first: "reverse", second: "both")
        #expect(throws: expected) { try negotiation.activate(responseHeader: "deflate, reverse, both") }
        #expect(
            expected.description == #"Server sent two extension responses that use the RSV2 bit: "reverse" and "both""#)
        #expect(
            ExtensionError.reservedBitConflict([.rsv1, .rsv3], first: "a", second: "b").description
                == #"Server sent two extension responses that use the RSV1+RSV3 bit: "a" and "b""#
        )
    }

    @Test("an extension whose session offered nothing is unknown to the response")
    func notOfferedIsUnknown() throws {
        var fixture = ClientFixture()
        fixture.deflateBehaviour.offers = []
        fixture.tarBehaviour.createsClientSession = false
        let negotiation = try fixture.negotiation("deflate", "tar", "reverse")
        #expect(throws: ExtensionError.unknownExtension("deflate")) {
            try negotiation.activate(responseHeader: "deflate")
        }
        let second = try fixture.negotiation("deflate", "tar", "reverse")
        #expect(throws: ExtensionError.unknownExtension("tar")) { try second.activate(responseHeader: "tar") }
    }

    @Test("a malformed response fails as malformedHeader and closes every session")
    func malformedResponse() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate", "reverse")
        let expected = ExtensionError.malformedHeader(
            .malformed(excerpt: "deflate; mode=", position: 14, expected: "a parameter value")
        )
        #expect(throws: expected) { try negotiation.activate(responseHeader: "deflate; mode=") }
        #expect(
            expected.description
                == "Invalid Sec-WebSocket-Extensions header: deflate; mode= (at byte 14: expected a parameter value)"
        )
        #expect(fixture.log.activations == [])
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
    }

    @Test("no response header activates nothing and closes every session", arguments: [nil, "", "  "] as [String?])
    func noResponse(header: String?) throws {
        let fixture = ClientFixture()
        let pipeline = try fixture.negotiation("deflate", "reverse").activate(responseHeader: header)
        #expect(pipeline.isEmpty)
        #expect(pipeline.reservedBits == [])
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse"])
    }

    @Test("responses are checked in header order and the first failure is reported")
    func headerOrder() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate", "reverse")
        #expect(throws: ExtensionError.unknownExtension("xml")) {
            try negotiation.activate(responseHeader: "deflate, xml, deflate")
        }
        #expect(fixture.log.activations == [[]])
    }

    @Test("after a failure, cancel and a second activate close nothing again")
    func closedExactlyOnce() throws {
        let fixture = ClientFixture()
        let failing = try fixture.negotiation("deflate", "tar", "reverse")
        #expect(throws: ExtensionError.self) { try failing.activate(responseHeader: "reverse, deflate, tar") }
        failing.cancel()
        #expect(throws: ExtensionError.unknownExtension("reverse")) { try failing.activate(responseHeader: "reverse") }
        #expect(fixture.log.closed.sorted() == ["deflate", "reverse", "tar"])
    }

    @Test("sessions of a successful activation are closed once: unaccepted at activation, the rest by the pipeline")
    func successfulLifecycle() throws {
        let fixture = ClientFixture()
        let negotiation = try fixture.negotiation("deflate", "tar", "reverse")
        let pipeline = try negotiation.activate(responseHeader: "tar, reverse")
        #expect(fixture.log.closed == ["deflate"])
        negotiation.cancel()
        #expect(fixture.log.closed == ["deflate"])
        pipeline.close()
        pipeline.close()
        #expect(fixture.log.closed == ["deflate", "tar", "reverse"])
    }

    @Test("cancel closes every session once")
    func cancel() throws {
        var fixture = ClientFixture()
        fixture.tarBehaviour.offers = []
        let negotiation = try fixture.negotiation("deflate", "tar", "reverse")
        #expect(fixture.log.closed == ["tar"])
        negotiation.cancel()
        #expect(fixture.log.closed == ["tar", "deflate", "reverse"])
        negotiation.cancel()
        #expect(fixture.log.closed == ["tar", "deflate", "reverse"])
        #expect(fixture.log.activations == [])
    }
}
