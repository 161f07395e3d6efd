import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// zlib streams are created lazily, released after each message in a direction without context
/// takeover, and released on close.
@Suite("zlib stream lifecycle")
struct StreamLifecycleTests {
    private let long = textMessage(String(repeating: "lazy streams ", count: 10))
    private let compressedHello = compressedMessage(hex("f2 48 cd c9 c9 07 00"))

    @Test("New and negotiated sessions hold no zlib stream")
    func lazyCreation() throws {
        let client = try clientSession()
        #expect(!client.codec.hasDeflateStream && !client.codec.hasInflateStream)
        try client.activate([])
        #expect(!client.codec.hasDeflateStream && !client.codec.hasInflateStream)
        let server = try #require(try serverSession())
        #expect(!server.codec.hasDeflateStream && !server.codec.hasInflateStream)
    }

    @Test("Sending creates only the compressor; receiving only the decompressor")
    func perDirection() throws {
        let session = try activatedClient()
        _ = try session.processOutgoingMessage(long)
        #expect(session.codec.hasDeflateStream && !session.codec.hasInflateStream)
        _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
        #expect(session.codec.hasDeflateStream && session.codec.hasInflateStream)
    }

    @Test("Uncompressed traffic never creates a stream")
    func uncompressedTraffic() throws {
        let session = try activatedClient()
        _ = try session.processOutgoingMessage(textMessage("tiny"))
        _ = try session.processIncomingMessage(textMessage(String(repeating: "a", count: 500)), maxLength: 1000)
        #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
    }

    @Test("Without context takeover both ways, nothing stays allocated between messages")
    func releasedAfterEachMessage() throws {
        let session = try activatedClient(
            try PermessageDeflate(noContextTakeover: true, requestNoContextTakeover: true),
            response: "server_no_context_takeover"
        )
        for round in 1...3 {
            _ = try session.processOutgoingMessage(long)
            _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
            #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
            #expect(session.codec.deflateStreamsCreated == round)
            #expect(session.codec.inflateStreamsCreated == round)
        }
    }

    @Test("close() releases both streams, can be called again, and later use fails")
    func close() throws {
        let session = try activatedClient()
        _ = try session.processOutgoingMessage(long)
        _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
        session.close()
        #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
        session.close()
        #expect(throws: PermessageDeflate.ProcessingError.sessionClosed) { try session.processOutgoingMessage(long) }
        #expect(throws: PermessageDeflate.ProcessingError.sessionClosed) {
            try session.processIncomingMessage(compressedHello, maxLength: 100)
        }
        #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
    }

    @Test("A server session releases its streams on close too")
    func serverClose() throws {
        let session = try #require(try serverSession())
        _ = try session.processOutgoingMessage(long)
        _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
        #expect(session.codec.hasDeflateStream && session.codec.hasInflateStream)
        session.close()
        #expect(!session.codec.hasDeflateStream && !session.codec.hasInflateStream)
    }

    @Test("A failed inflation releases the decompressor")
    func errorReleases() throws {
        let session = try activatedClient()
        _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
        #expect(throws: PermessageDeflate.ProcessingError.self) {
            try session.processIncomingMessage(compressedMessage([0xFF, 0xFF]), maxLength: 100)
        }
        #expect(!session.codec.hasInflateStream)
    }

    @Test("Dropping an unclosed session frees its streams (deinit), many times over")
    func deinitFrees() throws {
        for _ in 0..<200 {
            let session = try activatedClient()
            _ = try session.processOutgoingMessage(long)
            _ = try session.processIncomingMessage(compressedHello, maxLength: 100)
        }
    }

    @Test("The pipeline's close closes the sessions")
    func pipelineClose() throws {
        let connection = try Connection(client: PermessageDeflate(), server: PermessageDeflate())
        _ = try connection.clientSends(long)
        connection.close()
        connection.close()
        #expect(throws: ExtensionError.pipelineClosed) { try connection.clientSends(long) }
    }
}
