import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// The permessage_deflate gem's `server_session_spec.rb` (checklist §3.9), case by case. The gem
/// mocks zlib and counts stream creations; here the session's own counters and window settings
/// are observed instead.
@Suite("Ruby server_session_spec (§3.9)")
struct RubyServerSessionSpecTests {
    /// A server session for one offer (parameters after `permessage-deflate; `).
    private func session(
        _ configuration: PermessageDeflate = PermessageDeflate(),
        offer: String = ""
    ) throws -> PermessageDeflateServerSession {
        try #require(try serverSession(configuration, offers: [offer]))
    }

    private func response(_ configuration: PermessageDeflate = PermessageDeflate(), offer: String = "") throws -> String
    {
        describe(try session(configuration, offer: offer).generateResponse())
    }

    /// Sends two messages above the default threshold.
    private func sendTwo(_ session: PermessageDeflateServerSession) throws {
        for _ in 0..<2 {
            let wire = try session.processOutgoingMessage(textMessage(String(repeating: "Hello ", count: 20)))
            #expect(wire.reservedBits == .rsv1)
        }
    }

    /// Receives two compressed "Hello" messages that need no earlier context.
    private func receiveTwo(_ session: PermessageDeflateServerSession) throws {
        for _ in 0..<2 {
            let message = try session.processIncomingMessage(
                compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
            #expect(message.payload == Array("Hello".utf8))
        }
    }

    private func expectDeflate(_ session: PermessageDeflateServerSession, windowBits: Int, streams: Int) throws {
        try sendTwo(session)
        #expect(session.codec.deflaterSettings.windowBits == windowBits)
        #expect(session.codec.deflateStreamsCreated == streams)
        #expect(session.codec.hasDeflateStream == (streams == 1))
    }

    private func expectInflate(_ session: PermessageDeflateServerSession, windowBits: Int, streams: Int) throws {
        try receiveTwo(session)
        #expect(session.codec.inflateWindowBits == windowBits)
        #expect(session.codec.inflateStreamsCreated == streams)
        #expect(session.codec.hasInflateStream == (streams == 1))
    }

    // Default options

    @Test("1. An empty offer gets an empty response")
    func emptyOffer() throws {
        #expect(try response() == "")
    }

    @Test("2. ...inflation uses a 15-bit window, one stream")
    func emptyOfferInflate() throws {
        try expectInflate(try session(), windowBits: 15, streams: 1)
    }

    @Test("3. ...deflation uses a 15-bit window, one stream")
    func emptyOfferDeflate() throws {
        try expectDeflate(try session(), windowBits: 15, streams: 1)
    }

    @Test("4. server_no_context_takeover is answered with server_no_context_takeover")
    func serverNoContext() throws {
        #expect(try response(offer: "server_no_context_takeover") == "server_no_context_takeover")
    }

    @Test("5. ...and a deflate stream is made and released for each message")
    func serverNoContextDeflate() throws {
        try expectDeflate(try session(offer: "server_no_context_takeover"), windowBits: 15, streams: 2)
    }

    @Test("6. client_no_context_takeover is answered with client_no_context_takeover")
    func clientNoContext() throws {
        #expect(try response(offer: "client_no_context_takeover") == "client_no_context_takeover")
    }

    @Test("7. ...and an inflate stream is made and released for each message")
    func clientNoContextInflate() throws {
        try expectInflate(try session(offer: "client_no_context_takeover"), windowBits: 15, streams: 2)
    }

    @Test("8. server_max_window_bits=13 is answered with server_max_window_bits=13")
    func serverWindow13() throws {
        #expect(try response(offer: "server_max_window_bits=13") == "server_max_window_bits=13")
    }

    @Test("9. ...and deflation uses a 13-bit window, one stream")
    func serverWindow13Deflate() throws {
        try expectDeflate(try session(offer: "server_max_window_bits=13"), windowBits: 13, streams: 1)
    }

    @Test("10. server_max_window_bits=20 is declined (no session)")
    func serverWindow20() throws {
        #expect(try serverSession(offers: ["server_max_window_bits=20"]) == nil)
    }

    @Test("11. A bare client_max_window_bits gets an empty response")
    func clientWindowBare() throws {
        #expect(try response(offer: "client_max_window_bits") == "")
    }

    @Test("12. ...and inflation uses a 15-bit window")
    func clientWindowBareInflate() throws {
        try expectInflate(try session(offer: "client_max_window_bits"), windowBits: 15, streams: 1)
    }

    @Test("13. client_max_window_bits=13 is answered with client_max_window_bits=13")
    func clientWindow13() throws {
        #expect(try response(offer: "client_max_window_bits=13") == "client_max_window_bits=13")
    }

    @Test("14. ...and inflation uses a 13-bit window")
    func clientWindow13Inflate() throws {
        try expectInflate(try session(offer: "client_max_window_bits=13"), windowBits: 13, streams: 1)
    }

    @Test("15. client_max_window_bits=20 is declined (no session)")
    func clientWindow20() throws {
        #expect(try serverSession(offers: ["client_max_window_bits=20"]) == nil)
    }

    // Options

    @Test("16. noContextTakeover answers an empty offer with server_no_context_takeover")
    func optionNoContext() throws {
        #expect(try response(try PermessageDeflate(noContextTakeover: true)) == "server_no_context_takeover")
    }

    @Test("17. ...and a deflate stream is made for each message")
    func optionNoContextDeflate() throws {
        try expectDeflate(try session(try PermessageDeflate(noContextTakeover: true)), windowBits: 15, streams: 2)
    }

    @Test("18. maxWindowBits 12 answers an empty offer with nothing (not announced)")
    func optionWindow() throws {
        #expect(try response(try PermessageDeflate(maxWindowBits: 12)) == "")
    }

    @Test("19. ...and deflation uses a 12-bit window")
    func optionWindowDeflate() throws {
        try expectDeflate(try session(try PermessageDeflate(maxWindowBits: 12)), windowBits: 12, streams: 1)
    }

    @Test("20. ...an offer of 13 is answered with server_max_window_bits=12")
    func optionWindowOffer13() throws {
        let configuration = try PermessageDeflate(maxWindowBits: 12)
        #expect(try response(configuration, offer: "server_max_window_bits=13") == "server_max_window_bits=12")
    }

    @Test("21. ...and deflation uses a 12-bit window")
    func optionWindowOffer13Deflate() throws {
        let configuration = try PermessageDeflate(maxWindowBits: 12)
        try expectDeflate(try session(configuration, offer: "server_max_window_bits=13"), windowBits: 12, streams: 1)
    }

    @Test("22. ...an offer of 11 is answered with server_max_window_bits=11")
    func optionWindowOffer11() throws {
        let configuration = try PermessageDeflate(maxWindowBits: 12)
        #expect(try response(configuration, offer: "server_max_window_bits=11") == "server_max_window_bits=11")
    }

    @Test("23. ...and deflation uses an 11-bit window")
    func optionWindowOffer11Deflate() throws {
        let configuration = try PermessageDeflate(maxWindowBits: 12)
        try expectDeflate(try session(configuration, offer: "server_max_window_bits=11"), windowBits: 11, streams: 1)
    }

    @Test("24. requestNoContextTakeover answers an empty offer with client_no_context_takeover")
    func optionRequestNoContext() throws {
        #expect(try response(try PermessageDeflate(requestNoContextTakeover: true)) == "client_no_context_takeover")
    }

    @Test("25. ...and an inflate stream is made for each message")
    func optionRequestNoContextInflate() throws {
        let configuration = try PermessageDeflate(requestNoContextTakeover: true)
        try expectInflate(try session(configuration), windowBits: 15, streams: 2)
    }

    @Test("26. requestMaxWindowBits 11 answers an empty offer with nothing")
    func optionRequestWindow() throws {
        #expect(try response(try PermessageDeflate(requestMaxWindowBits: 11)) == "")
    }

    @Test("27. ...and inflation uses a 15-bit window")
    func optionRequestWindowInflate() throws {
        try expectInflate(try session(try PermessageDeflate(requestMaxWindowBits: 11)), windowBits: 15, streams: 1)
    }

    @Test("28. ...a bare client_max_window_bits is answered with client_max_window_bits=11")
    func optionRequestWindowBare() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        #expect(try response(configuration, offer: "client_max_window_bits") == "client_max_window_bits=11")
    }

    @Test("29. ...and inflation uses an 11-bit window")
    func optionRequestWindowBareInflate() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        try expectInflate(try session(configuration, offer: "client_max_window_bits"), windowBits: 11, streams: 1)
    }

    @Test("30. ...an offer of 12 is answered with client_max_window_bits=11")
    func optionRequestWindow12() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        #expect(try response(configuration, offer: "client_max_window_bits=12") == "client_max_window_bits=11")
    }

    @Test("31. ...and inflation uses an 11-bit window")
    func optionRequestWindow12Inflate() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        try expectInflate(try session(configuration, offer: "client_max_window_bits=12"), windowBits: 11, streams: 1)
    }

    @Test("32. ...an offer of 10 is answered with client_max_window_bits=10")
    func optionRequestWindow10() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        #expect(try response(configuration, offer: "client_max_window_bits=10") == "client_max_window_bits=10")
    }

    @Test("33. ...and inflation uses a 10-bit window")
    func optionRequestWindow10Inflate() throws {
        let configuration = try PermessageDeflate(requestMaxWindowBits: 11)
        try expectInflate(try session(configuration, offer: "client_max_window_bits=10"), windowBits: 10, streams: 1)
    }

    @Test("34. The compression level is passed to deflate")
    func level() throws {
        let server = try session(try PermessageDeflate(compressionLevel: 9))
        try sendTwo(server)
        #expect(server.codec.deflaterSettings.level == 9)
    }

    @Test("35. The memory level is passed to deflate")
    func memoryLevel() throws {
        let server = try session(try PermessageDeflate(memoryLevel: 3))
        try sendTwo(server)
        #expect(server.codec.deflaterSettings.memoryLevel == 3)
    }

    @Test("36. The strategy is passed to deflate")
    func strategy() throws {
        let server = try session(try PermessageDeflate(strategy: .huffmanOnly))
        try sendTwo(server)
        #expect(server.codec.deflaterSettings.strategy == .huffmanOnly)
    }
}
