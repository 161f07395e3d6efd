import Testing

@testable import WebSocketExtensions

// The example extension of Docs/WebSocketExtensions.md, verbatim: keep the two in step.

/// A toy extension: it reverses the bytes of every message it sends and marks the message with
/// RSV2; it reverses every received message that carries RSV2.
struct ReverseExtension: WebSocketExtension {
    let name = "x-reverse"
    let reservedBits: ReservedBits = .rsv2

    func makeClientSession() -> (any ClientExtensionSession)? {
        ReverseSession()
    }

    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        // The extension has no parameters: accept an offer without any, decline otherwise.
        guard offers.contains(where: \.isEmpty) else { return nil }
        return ReverseSession()
    }
}

/// Why a ``ReverseSession`` refuses a server's response.
struct ReverseError: Error, CustomStringConvertible {
    var description: String
}

/// One connection's state of ``ReverseExtension`` (it has none), on either side.
final class ReverseSession: ClientExtensionSession, ServerExtensionSession {
    // Client side: offer the extension once, without parameters.
    func generateOffer() -> [ExtensionParameters] {
        [[]]
    }

    func activate(_ parameters: ExtensionParameters) throws {
        if let unexpected = parameters.first {
            throw ReverseError(description: "unexpected parameter \(unexpected.name)")
        }
    }

    // Server side: accept without parameters.
    func generateResponse() -> ExtensionParameters {
        []
    }

    // Both sides.
    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message {
        guard message.reservedBits.contains(.rsv2) else { return message }
        guard message.payload.count <= maxLength else { throw ExtensionMessageTooLarge(limit: maxLength) }
        var result = message
        result.payload.reverse()
        result.reservedBits.remove(.rsv2)
        return result
    }

    func processOutgoingMessage(_ message: Message) throws -> Message {
        var result = message
        result.payload.reverse()
        result.reservedBits.insert(.rsv2)
        return result
    }

    func close() {}
}

@Suite("Documentation example")
struct DocumentationExampleTests {
    func registry() throws -> ExtensionRegistry {
        var registry = ExtensionRegistry()
        try registry.add(ReverseExtension())
        return registry
    }

    @Test("client and server negotiate the example extension and exchange a message")
    func endToEnd() throws {
        let registry = try registry()

        // Client: send the offer.
        let client = try registry.makeClientNegotiation()
        #expect(client.offerHeader == "x-reverse")

        // Server: answer it.
        let server = try registry.negotiateServer(offerHeader: client.offerHeader)
        #expect(server.responseHeader == "x-reverse")

        // Client: activate the response.
        let clientPipeline = try client.activate(responseHeader: server.responseHeader)
        #expect(clientPipeline.extensionNames == ["x-reverse"])

        let sent = try clientPipeline.processOutgoing(textMessage("hello"))
        #expect(sent.text == "olleh")
        #expect(sent.reservedBits == .rsv2)
        #expect(server.pipeline.allowsReservedBits(sent.reservedBits, opcode: sent.opcode))

        let received = try server.pipeline.processIncoming(sent, maxLength: 1 << 20)
        #expect(received == textMessage("hello"))
        #expect(throws: ExtensionError.messageTooLarge(extension: "x-reverse", limit: 4)) {
            try server.pipeline.processIncoming(sent, maxLength: 4)
        }
        clientPipeline.close()
        server.pipeline.close()
    }

    @Test("the parsing snippet of the article")
    func parsingSnippet() throws {
        let offers = try ExtensionHeader.parse(#"permessage-deflate; client_max_window_bits, x; a="p q"; a"#)
        #expect(offers[1].parameters.values(for: "a") == ["p q", nil])
        #expect(offers[1].parameters.repeatedNames == ["a"])
    }

    @Test("the server declines offers with parameters")
    func serverDeclines() throws {
        let negotiation = try registry().negotiateServer(offerHeader: "x-reverse; fast")
        #expect(negotiation.responseHeader == nil)
        #expect(try registry().negotiateServer(offerHeader: "x-reverse; fast, x-reverse").responseHeader == "x-reverse")
    }

    @Test("the client refuses a response with parameters")
    func clientRefuses() throws {
        let client = try registry().makeClientNegotiation()
        #expect(
            throws: ExtensionError.parametersRejected(
                extension: "x-reverse",
                parameters: "x-reverse; fast",
                reason: "unexpected parameter fast"
            )
        ) {
            try client.activate(responseHeader: "x-reverse; fast")
        }
    }
}
