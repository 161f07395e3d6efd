import Testing

@testable import WebSocketExtensions

/// The Ruby spec's three extensions, with the responses it uses.
struct ServerFixture {
    let log = CallLog()
    var deflateBehaviour = FakeBehaviour(response: [param("mode", "compress")])
    var tarBehaviour = FakeBehaviour(response: [flag("gzip")])
    var reverseBehaviour = FakeBehaviour(response: [flag("utf8")])

    /// A registry of deflate, tar and reverse, in that order unless `names` says otherwise.
    func registry(_ names: [String] = ["deflate", "tar", "reverse"]) throws -> ExtensionRegistry {
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

    func negotiate(_ offer: String?, names: [String] = ["deflate", "tar", "reverse"]) throws
        -> ServerExtensionNegotiation
    {
        try registry(names).negotiateServer(offerHeader: offer)
    }
}

/// The Ruby spec's server `generate_response` cases (32–45), and the rest of server negotiation.
@Suite("Server negotiation")
struct ServerNegotiationTests {
    @Test("the session is created from the offer's parameters")
    func sessionFromOffer() throws {
        let fixture = ServerFixture()
        _ = try fixture.negotiate("deflate; flag", names: ["deflate"])
        #expect(fixture.log.calls.first == .makeServerSession("deflate", [[flag("flag")]]))
    }

    @Test("every offer of the extension is passed, in header order")
    func everyOffer() throws {
        let fixture = ServerFixture()
        _ = try fixture.negotiate("deflate; a, reverse, deflate; b=1", names: ["deflate"])
        #expect(fixture.log.calls.first == .makeServerSession("deflate", [[flag("a")], [param("b", "1")]]))
    }

    @Test("the response is generated once")
    func responseOnce() throws {
        let fixture = ServerFixture()
        _ = try fixture.negotiate("deflate, deflate", names: ["deflate"])
        #expect(fixture.log.count(.generateResponse("deflate")) == 1)
        #expect(fixture.log.count(.makeServerSession("deflate", [[], []])) == 1)
    }

    @Test("each accepted extension is asked for its response")
    func eachAsked() throws {
        let fixture = ServerFixture()
        _ = try fixture.negotiate("deflate, reverse")
        #expect(fixture.log.count(.generateResponse("deflate")) == 1)
        #expect(fixture.log.count(.generateResponse("reverse")) == 1)
    }

    @Test("a declining extension is not asked for a response")
    func declined() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = nil
        let negotiation = try fixture.negotiate("deflate")
        #expect(fixture.log.calls == [.makeServerSession("deflate", [[]])])
        #expect(negotiation.responseHeader == nil)
        #expect(negotiation.pipeline.isEmpty)
    }

    @Test("no session is created for an extension that was not offered")
    func notOffered() throws {
        let fixture = ServerFixture()
        let negotiation = try fixture.negotiate("deflate")
        withExtendedLifetime(negotiation) {
            #expect(fixture.log.calls == [.makeServerSession("deflate", [[]]), .generateResponse("deflate")])
        }
    }

    @Test("no session is created for an extension whose bits are taken")
    func conflicting() throws {
        let fixture = ServerFixture()
        let negotiation = try fixture.negotiate("deflate, tar")
        #expect(fixture.log.calls == [.makeServerSession("deflate", [[]]), .generateResponse("deflate")])
        #expect(negotiation.responseHeader == "deflate; mode=compress")
    }

    @Test("the response is serialized as name; params")
    func responseHeader() throws {
        #expect(try ServerFixture().negotiate("deflate").responseHeader == "deflate; mode=compress")
    }

    @Test("several responses are joined in registration order")
    func severalResponses() throws {
        let negotiation = try ServerFixture().negotiate("deflate, reverse")
        #expect(negotiation.responseHeader == "deflate; mode=compress, reverse; utf8")
        #expect(negotiation.pipeline.extensionNames == ["deflate", "reverse"])
    }

    @Test("registration order wins over the client's order")
    func registrationOrder() throws {
        let fixture = ServerFixture()
        let negotiation = try fixture.negotiate("reverse, deflate")
        #expect(negotiation.responseHeader == "deflate; mode=compress, reverse; utf8")
        #expect(negotiation.pipeline.extensionNames == ["deflate", "reverse"])
        let reordered = try fixture.negotiate("deflate, reverse", names: ["reverse", "deflate"])
        #expect(reordered.responseHeader == "reverse; utf8, deflate; mode=compress")
    }

    @Test("unoffered extensions are left out of the response")
    func unofferedOmitted() throws {
        #expect(try ServerFixture().negotiate("reverse").responseHeader == "reverse; utf8")
    }

    @Test("conflicting extensions are left out of the response")
    func conflictingOmitted() throws {
        #expect(
            try ServerFixture().negotiate("tar, deflate, reverse").responseHeader
                == "deflate; mode=compress, reverse; utf8")
    }

    @Test("a malformed offer fails as malformedHeader before any session exists")
    func malformedOffer() throws {
        let fixture = ServerFixture()
        let expected = ExtensionError.malformedHeader(
            .malformed(
                excerpt: "x-webkit- -frame",
                position: 10,
                expected: #"",", ";" or the end of the header"#
            )
        )
        #expect(throws: expected) { try fixture.negotiate("x-webkit- -frame") }
        #expect(fixture.log.calls == [])
        #expect(expected.description.hasPrefix("Invalid Sec-WebSocket-Extensions header: x-webkit- -frame"))
    }

    @Test("when the first extension declines, a conflicting one gets its chance")
    func declineThenNext() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = nil
        let negotiation = try fixture.negotiate("deflate, tar")
        #expect(negotiation.responseHeader == "tar; gzip")
        #expect(negotiation.pipeline.extensionNames == ["tar"])
        #expect(negotiation.pipeline.reservedBits == .rsv1)
    }

    @Test("offers for unregistered extensions are ignored")
    func unregisteredIgnored() throws {
        let fixture = ServerFixture()
        let negotiation = try fixture.negotiate("xml; a=1, deflate, x-webkit-deflate-frame")
        #expect(negotiation.responseHeader == "deflate; mode=compress")
    }

    @Test(
        "without an accepted extension there is no response header",
        arguments: [nil, "", " ", "xml", "tar; x, xml"] as [String?])
    func noResponse(offer: String?) throws {
        var fixture = ServerFixture()
        fixture.tarBehaviour.response = nil
        let negotiation = try fixture.negotiate(offer)
        #expect(negotiation.responseHeader == nil)
        #expect(negotiation.pipeline.isEmpty)
        #expect(fixture.log.closed == [])
    }

    @Test("an empty response gives the bare name")
    func emptyResponse() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = []
        #expect(try fixture.negotiate("deflate; mode=compress").responseHeader == "deflate")
    }

    @Test("a response that cannot be serialized fails and closes every session created")
    func invalidResponse() throws {
        var fixture = ServerFixture()
        fixture.reverseBehaviour.response = [param("x", "\r\nSet-Cookie: a=b")]
        let expected = ExtensionError.invalidParameters(
            extension: "reverse",
            .invalidValue(parameter: "x", value: "\r\nSet-Cookie: a=b")
        )
        #expect(throws: expected) { try fixture.negotiate("deflate, reverse") }
        #expect(fixture.log.closed == ["deflate", "reverse"])
    }

    @Test("a response with a parameter name that is not a token fails")
    func invalidResponseName() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = [flag("a b")]
        #expect(throws: ExtensionError.invalidParameters(extension: "deflate", .invalidName("a b"))) {
            try fixture.negotiate("deflate, reverse")
        }
        #expect(fixture.log.closed == ["deflate"])
        #expect(fixture.log.count(.makeServerSession("reverse", [[]])) == 0)
    }

    @Test("a declining extension reserves no bits")
    func declineReservesNothing() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = nil
        let negotiation = try fixture.negotiate("deflate, tar, reverse")
        #expect(negotiation.responseHeader == "tar; gzip, reverse; utf8")
    }

    @Test("an extension claiming several bits conflicts with any holder of one of them")
    func severalBits() throws {
        let fixture = ServerFixture()
        let both = FakeExtension(
            name: "both",
            reservedBits: [.rsv2, .rsv3],
            log: fixture.log,
            behaviour: FakeBehaviour(response: [])
        )
        var registry = try fixture.registry(["reverse"])
        try registry.add(both)
        let negotiation = try registry.negotiateServer(offerHeader: "both, reverse")
        #expect(negotiation.responseHeader == "reverse; utf8")
        #expect(fixture.log.count(.makeServerSession("both", [[]])) == 0)
    }

    @Test("response parameters are written in their order, quoted when needed")
    func responseParameters() throws {
        var fixture = ServerFixture()
        fixture.deflateBehaviour.response = [param("z", "1"), flag("a"), param("q", #"say "hi"\"#)]
        #expect(try fixture.negotiate("deflate").responseHeader == #"deflate; z=1; a; q="say \"hi\"\\""#)
    }

    @Test("the server's pipeline closes its sessions")
    func pipelineCloses() throws {
        let fixture = ServerFixture()
        let negotiation = try fixture.negotiate("deflate, tar, reverse")
        #expect(fixture.log.closed == [])
        negotiation.pipeline.close()
        #expect(fixture.log.closed == ["deflate", "reverse"])
    }
}
