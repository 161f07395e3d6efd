import PermessageDeflate
import WebSocketExtensions

/// Three server settings for permessage-deflate, from the best ratio to the least memory per
/// connection. The figures are those measured in Docs/PermessageDeflate.md.
enum DeflateProfile: CaseIterable {
    /// The defaults: 15-bit windows, memory level 5, context takeover. About 190 KiB per busy
    /// session; JSON chat shrinks to 26.3 % of its size.
    case bestRatio
    /// 12-bit windows both ways. About 50 KiB per busy session; JSON chat to 30.1 %.
    case balanced
    /// No context takeover either way: about 1 KiB between messages, but every message is
    /// compressed on its own.
    case leastMemory

    /// The extension a server registers for this profile.
    func serverExtension() throws -> PermessageDeflate {
        switch self {
        case .bestRatio:
            return PermessageDeflate()
        case .balanced:
            // Our compressor uses 12 bits; the client is asked to do the same.
            return try PermessageDeflate(maxWindowBits: 12, requestMaxWindowBits: 12)
        case .leastMemory:
            return try PermessageDeflate(noContextTakeover: true, requestNoContextTakeover: true)
        }
    }
}

/// A message came back different from what was sent.
struct DeflateRoundTripError: Error, CustomStringConvertible {
    var description: String
}

/// Measures a profile on your own messages: negotiates between a client with the default
/// extension and a server with `profile`, sends `messages` from the server to the client in
/// order, and returns the total payload bytes on the wire (what the messages cost compressed).
func compressedSize(of messages: [String], server profile: DeflateProfile) throws -> Int {
    var clientExtensions = ExtensionRegistry()
    try clientExtensions.add(PermessageDeflate())
    var serverExtensions = ExtensionRegistry()
    try serverExtensions.add(try profile.serverExtension())

    let negotiation = try clientExtensions.makeClientNegotiation()
    let server = try serverExtensions.negotiateServer(offerHeader: negotiation.offerHeader)
    let client = try negotiation.activate(responseHeader: server.responseHeader)
    defer {
        server.pipeline.close()
        client.close()
    }
    var total = 0
    for text in messages {
        let message = Message(opcode: .text, payload: Array(text.utf8))
        let wire = try server.pipeline.processOutgoing(message)
        total += wire.payload.count
        guard try client.processIncoming(wire, maxLength: 1 << 20) == message else {
            throw DeflateRoundTripError(description: "a message did not survive the round trip")
        }
    }
    return total
}
