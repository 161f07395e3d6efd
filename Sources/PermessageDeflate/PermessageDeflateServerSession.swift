internal import WebSocketExtensions

/// A server connection's permessage-deflate session, created for the client offer it accepted.
final class PermessageDeflateServerSession: ServerExtensionSession {
    /// The response parameters.
    let response: DeflateParameters
    /// Message processing.
    private(set) var codec: DeflateCodec

    init(configuration: PermessageDeflate, offer: DeflateParameters) {
        let outcome = ServerNegotiation.respond(to: offer, configuration: configuration)
        self.response = outcome.response
        self.codec = DeflateCodec(configuration: configuration, parameters: outcome.negotiated)
    }

    /// The negotiated parameters.
    var parameters: NegotiatedParameters { codec.parameters }

    func generateResponse() -> ExtensionParameters {
        response.extensionParameters
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
