internal import WebSocketExtensions

/// A client connection's permessage-deflate session: makes the offer, checks the server's
/// response, then processes messages.
final class PermessageDeflateClientSession: ClientExtensionSession {
    let configuration: PermessageDeflate
    /// The offer sent, kept to check the response against.
    let offer: DeflateParameters
    /// Message processing; replaced on activation (before any stream exists).
    private(set) var codec: DeflateCodec

    init(configuration: PermessageDeflate) {
        self.configuration = configuration
        self.offer = ClientNegotiation.offer(for: configuration)
        self.codec = DeflateCodec(configuration: configuration, parameters: .unrestricted)
    }

    /// The negotiated parameters (unrestricted until activation).
    var parameters: NegotiatedParameters { codec.parameters }

    func generateOffer() -> [ExtensionParameters] {
        [offer.extensionParameters]
    }

    /// Validates the response (RFC 7692 §7.1) and applies it.
    /// - Throws: ``PermessageDeflate/NegotiationError``.
    func activate(_ parameters: ExtensionParameters) throws {
        let response = try DeflateParameters(parameters, role: .response)
        let negotiated = try ClientNegotiation.negotiate(offer: offer, response: response, configuration: configuration)
        codec.close()
        codec = DeflateCodec(configuration: configuration, parameters: negotiated)
    }

    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message {
        try codec.processIncoming(message, maxLength: maxLength)
    }

    func processOutgoingMessage(_ message: Message) throws -> Message {
        try codec.processOutgoing(message)
    }

    /// Ends both zlib streams and keeps only their windows (see
    /// ``DeflateCodec/releaseIdleState()``).
    func releaseIdleState() {
        codec.releaseIdleState()
    }

    func close() {
        codec.close()
    }
}
