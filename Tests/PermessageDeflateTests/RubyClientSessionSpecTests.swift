import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// The permessage_deflate gem's `client_session_spec.rb` (checklist §3.8), case by case. The gem
/// mocks zlib and counts stream creations; here the session's own counters and window settings
/// are observed instead.
@Suite("Ruby client_session_spec (§3.8)")
struct RubyClientSessionSpecTests {
    private let pmd = "permessage-deflate"

    /// Sends two messages above the default threshold.
    private func sendTwo(_ session: PermessageDeflateClientSession) throws {
        for _ in 0..<2 {
            let wire = try session.processOutgoingMessage(textMessage(String(repeating: "Hello ", count: 20)))
            #expect(wire.reservedBits == .rsv1)
        }
    }

    /// Receives two compressed "Hello" messages that need no earlier context.
    private func receiveTwo(_ session: PermessageDeflateClientSession) throws {
        for _ in 0..<2 {
            let message = try session.processIncomingMessage(
                compressedMessage(hex("f2 48 cd c9 c9 07 00")), maxLength: 100)
            #expect(message.payload == Array("Hello".utf8))
        }
    }

    private func expectKept(deflate session: PermessageDeflateClientSession, windowBits: Int) {
        #expect(session.codec.deflateStreamsCreated == 1)
        #expect(session.codec.hasDeflateStream)
        #expect(session.codec.deflaterSettings.windowBits == windowBits)
    }

    private func expectRecreated(deflate session: PermessageDeflateClientSession) {
        #expect(session.codec.deflateStreamsCreated == 2)
        #expect(!session.codec.hasDeflateStream)
    }

    private func expectKept(inflate session: PermessageDeflateClientSession, windowBits: Int) {
        #expect(session.codec.inflateStreamsCreated == 1)
        #expect(session.codec.hasInflateStream)
        #expect(session.codec.inflateWindowBits == windowBits)
    }

    private func expectRecreated(inflate session: PermessageDeflateClientSession) {
        #expect(session.codec.inflateStreamsCreated == 2)
        #expect(!session.codec.hasInflateStream)
    }

    // Default options

    @Test("1. The default offer is client_max_window_bits")
    func defaultOffer() throws {
        #expect(try clientSession().generateOffer().map(describe) == ["client_max_window_bits"])
        var registry = ExtensionRegistry()
        try registry.add(PermessageDeflate())
        #expect(try registry.makeClientNegotiation().offerHeader == "permessage-deflate; client_max_window_bits")
    }

    @Test("2. An empty response is accepted")
    func emptyResponse() throws {
        _ = try activatedClient()
    }

    @Test("3. Inflation uses a 15-bit window and one stream for two messages")
    func defaultInflate() throws {
        let session = try activatedClient()
        try receiveTwo(session)
        expectKept(inflate: session, windowBits: 15)
    }

    @Test("4. Deflation uses level, window 15, memory level and strategy, one stream for two messages")
    func defaultDeflate() throws {
        let session = try activatedClient()
        try sendTwo(session)
        expectKept(deflate: session, windowBits: 15)
        #expect(session.codec.deflaterSettings == .init(level: -1, windowBits: 15, memoryLevel: 5, strategy: .default))
    }

    @Test("5. A response with server_no_context_takeover is accepted")
    func serverNoContextTakeoverAccepted() throws {
        _ = try activatedClient(response: "server_no_context_takeover")
    }

    @Test("6. ...then a new inflate stream is made and released for each message")
    func serverNoContextTakeoverInflate() throws {
        let session = try activatedClient(response: "server_no_context_takeover")
        try receiveTwo(session)
        expectRecreated(inflate: session)
    }

    @Test("7. A response with client_no_context_takeover is accepted")
    func clientNoContextTakeoverAccepted() throws {
        _ = try activatedClient(response: "client_no_context_takeover")
    }

    @Test("8. ...then a new deflate stream is made and released for each message")
    func clientNoContextTakeoverDeflate() throws {
        let session = try activatedClient(response: "client_no_context_takeover")
        try sendTwo(session)
        expectRecreated(deflate: session)
    }

    @Test("9. server_max_window_bits=8 is accepted")
    func serverWindow8Accepted() throws {
        _ = try activatedClient(response: "server_max_window_bits=8")
    }

    @Test("10. ...then inflation uses a 9-bit window, one stream")
    func serverWindow8Inflate() throws {
        let session = try activatedClient(response: "server_max_window_bits=8")
        try receiveTwo(session)
        expectKept(inflate: session, windowBits: 9)
    }

    @Test("11. server_max_window_bits=20 is rejected")
    func serverWindow20Rejected() throws {
        #expect(
            throws: PermessageDeflate.NegotiationError.invalidWindowBits(
                parameter: "server_max_window_bits", value: "20")
        ) {
            try activatedClient(response: "server_max_window_bits=20")
        }
    }

    @Test("12. client_max_window_bits=8 is accepted")
    func clientWindow8Accepted() throws {
        _ = try activatedClient(response: "client_max_window_bits=8")
    }

    @Test("13. ...then deflation uses a 9-bit window (with run-length matching), one stream")
    func clientWindow8Deflate() throws {
        let session = try activatedClient(response: "client_max_window_bits=8")
        try sendTwo(session)
        expectKept(deflate: session, windowBits: 9)
        #expect(session.codec.deflaterSettings.strategy == .runLength)
    }

    @Test("14. client_max_window_bits=20 is rejected")
    func clientWindow20Rejected() throws {
        #expect(
            throws: PermessageDeflate.NegotiationError.invalidWindowBits(
                parameter: "client_max_window_bits", value: "20")
        ) {
            try activatedClient(response: "client_max_window_bits=20")
        }
    }

    // Option noContextTakeover

    @Test("15. noContextTakeover offers client_max_window_bits and client_no_context_takeover")
    func noContextTakeoverOffer() throws {
        let session = try clientSession(try PermessageDeflate(noContextTakeover: true))
        #expect(session.generateOffer().map(describe) == ["client_max_window_bits; client_no_context_takeover"])
    }

    @Test("16. ...an empty response is accepted")
    func noContextTakeoverEmptyResponse() throws {
        _ = try activatedClient(try PermessageDeflate(noContextTakeover: true))
    }

    @Test("17. ...and a deflate stream is made and released for each message")
    func noContextTakeoverDeflate() throws {
        let session = try activatedClient(try PermessageDeflate(noContextTakeover: true))
        try sendTwo(session)
        expectRecreated(deflate: session)
    }

    // Option maxWindowBits 9

    @Test("18. maxWindowBits 9 offers client_max_window_bits=9")
    func maxWindowOffer() throws {
        let session = try clientSession(try PermessageDeflate(maxWindowBits: 9))
        #expect(session.generateOffer().map(describe) == ["client_max_window_bits=9"])
    }

    @Test("19. ...an empty response is accepted")
    func maxWindowEmptyResponse() throws {
        _ = try activatedClient(try PermessageDeflate(maxWindowBits: 9))
    }

    @Test("20. ...deflation uses a 9-bit window, one stream")
    func maxWindowDeflate() throws {
        let session = try activatedClient(try PermessageDeflate(maxWindowBits: 9))
        try sendTwo(session)
        expectKept(deflate: session, windowBits: 9)
        #expect(session.codec.deflaterSettings.strategy == .default)
    }

    @Test("21. ...a response with a higher client_max_window_bits (10) is rejected")
    func maxWindowHigherRejected() throws {
        #expect(
            throws: PermessageDeflate.NegotiationError.windowBitsAboveOffer(
                parameter: "client_max_window_bits",
                offered: 9,
                received: 10
            )
        ) {
            try activatedClient(try PermessageDeflate(maxWindowBits: 9), response: "client_max_window_bits=10")
        }
    }

    @Test("22. ...a response with a lower client_max_window_bits (8) is accepted")
    func maxWindowLowerAccepted() throws {
        _ = try activatedClient(try PermessageDeflate(maxWindowBits: 9), response: "client_max_window_bits=8")
    }

    @Test("23. ...and deflation then uses a 9-bit window")
    func maxWindowLowerDeflate() throws {
        let session = try activatedClient(try PermessageDeflate(maxWindowBits: 9), response: "client_max_window_bits=8")
        try sendTwo(session)
        expectKept(deflate: session, windowBits: 9)
    }

    // Other options

    @Test("24. maxWindowBits 20 is refused (here when configuring, not when offering)")
    func maxWindow20() {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidMaxWindowBits(20)) {
            try PermessageDeflate(maxWindowBits: 20)
        }
    }

    @Test("25. requestNoContextTakeover offers client_max_window_bits and server_no_context_takeover")
    func requestNoContextOffer() throws {
        let session = try clientSession(try PermessageDeflate(requestNoContextTakeover: true))
        #expect(session.generateOffer().map(describe) == ["client_max_window_bits; server_no_context_takeover"])
    }

    @Test("26. ...an empty response is rejected")
    func requestNoContextEmptyRejected() throws {
        #expect(throws: PermessageDeflate.NegotiationError.missingParameter("server_no_context_takeover")) {
            try activatedClient(try PermessageDeflate(requestNoContextTakeover: true))
        }
    }

    @Test("27. ...a response with server_no_context_takeover is accepted")
    func requestNoContextAccepted() throws {
        _ = try activatedClient(
            try PermessageDeflate(requestNoContextTakeover: true), response: "server_no_context_takeover")
    }

    @Test("28. ...and an inflate stream is made and released for each message")
    func requestNoContextInflate() throws {
        let session = try activatedClient(
            try PermessageDeflate(requestNoContextTakeover: true),
            response: "server_no_context_takeover"
        )
        try receiveTwo(session)
        expectRecreated(inflate: session)
    }

    @Test("29. requestMaxWindowBits 12 offers client_max_window_bits and server_max_window_bits=12")
    func requestWindowOffer() throws {
        let session = try clientSession(try PermessageDeflate(requestMaxWindowBits: 12))
        #expect(session.generateOffer().map(describe) == ["client_max_window_bits; server_max_window_bits=12"])
    }

    @Test("30. ...an empty response is rejected")
    func requestWindowEmptyRejected() throws {
        #expect(throws: PermessageDeflate.NegotiationError.missingParameter("server_max_window_bits")) {
            try activatedClient(try PermessageDeflate(requestMaxWindowBits: 12))
        }
    }

    @Test("31. ...a response of 13 is rejected")
    func requestWindowHigherRejected() throws {
        #expect(
            throws: PermessageDeflate.NegotiationError.windowBitsAboveOffer(
                parameter: "server_max_window_bits",
                offered: 12,
                received: 13
            )
        ) {
            try activatedClient(try PermessageDeflate(requestMaxWindowBits: 12), response: "server_max_window_bits=13")
        }
    }

    @Test("32. ...a response of 11 is accepted")
    func requestWindowLowerAccepted() throws {
        _ = try activatedClient(try PermessageDeflate(requestMaxWindowBits: 12), response: "server_max_window_bits=11")
    }

    @Test("33. ...and inflation then uses an 11-bit window, one stream")
    func requestWindowInflate() throws {
        let session = try activatedClient(
            try PermessageDeflate(requestMaxWindowBits: 12),
            response: "server_max_window_bits=11"
        )
        try receiveTwo(session)
        expectKept(inflate: session, windowBits: 11)
    }

    @Test("34. requestMaxWindowBits 20 is refused when configuring")
    func requestWindow20() {
        #expect(throws: PermessageDeflate.ConfigurationError.invalidRequestMaxWindowBits(20)) {
            try PermessageDeflate(requestMaxWindowBits: 20)
        }
    }

    @Test("35. The compression level is passed to deflate")
    func level() throws {
        let session = try activatedClient(try PermessageDeflate(compressionLevel: 1))
        try sendTwo(session)
        #expect(session.codec.deflaterSettings.level == 1)
    }

    @Test("36. The memory level is passed to deflate")
    func memoryLevel() throws {
        let session = try activatedClient(try PermessageDeflate(memoryLevel: 5))
        try sendTwo(session)
        #expect(session.codec.deflaterSettings.memoryLevel == 5)
    }

    @Test("37. The strategy is passed to deflate")
    func strategy() throws {
        let session = try activatedClient(try PermessageDeflate(strategy: .filtered))
        try sendTwo(session)
        #expect(session.codec.deflaterSettings.strategy == .filtered)
    }
}
