import WebSocketDriver
import WebSocketExtensions

/// `x-xor`: XORs every payload byte with a key the two ends agree on, and marks transformed
/// messages with RSV3. A toy (XOR hides nothing), but it has what a real extension has: a
/// parameter in the offer, a server that checks it, a client that checks the answer, and bits.
struct XORExtension: WebSocketExtension {
    let name = "x-xor"
    let reservedBits: ReservedBits = .rsv3
    /// The key a client offers (a server accepts any key from 1 to 255).
    var key: UInt8 = 0x5A

    func makeClientSession() -> (any ClientExtensionSession)? {
        XORClientSession(key: key)
    }

    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        // Accept the first offer whose only parameter is a key from 1 to 255; decline otherwise.
        for offer in offers {
            guard offer.count == 1, let key = xorKey(in: offer) else { continue }
            return XORServerSession(key: key)
        }
        return nil
    }
}

/// Reads `key=N` (1...255) from a parameter list.
func xorKey(in parameters: ExtensionParameters) -> UInt8? {
    guard let value = parameters.first(named: "key")?.integerValue, (1...255).contains(value) else { return nil }
    return UInt8(value)
}

/// Why a client refuses the server's `x-xor` response.
struct XORNegotiationError: Error, CustomStringConvertible {
    var description: String
}

/// One connection's `x-xor` state, shared by both roles: the key.
class XORSession: ExtensionSession {
    var key: UInt8

    init(key: UInt8) {
        self.key = key
    }

    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message {
        guard message.reservedBits.contains(.rsv3) else { return message }  // sent untransformed
        var result = message
        for index in result.payload.indices { result.payload[index] ^= key }
        result.reservedBits.remove(.rsv3)  // the driver rejects bits nobody cleared
        return result
    }

    func processOutgoingMessage(_ message: Message) throws -> Message {
        var result = message
        for index in result.payload.indices { result.payload[index] ^= key }
        result.reservedBits.insert(.rsv3)  // the first frame of the message carries RSV3
        return result
    }

    func close() {}
}

/// The client's side: offers its key and insists that the server echoes it.
final class XORClientSession: XORSession, ClientExtensionSession {
    func generateOffer() -> [ExtensionParameters] {
        [[ExtensionParameter("key", value: Int(key))]]
    }

    func activate(_ parameters: ExtensionParameters) throws {
        guard parameters.count == 1, xorKey(in: parameters) == key else {
            throw XORNegotiationError(description: "x-xor: the server answered \(parameters), not key=\(key)")
        }
    }
}

/// The server's side: answers with the key it accepted.
final class XORServerSession: XORSession, ServerExtensionSession {
    func generateResponse() -> ExtensionParameters {
        [ExtensionParameter("key", value: Int(key))]
    }
}

/// A server driver and a client driver that both use `x-xor`.
func makeXORDrivers(
    url: String,
    serverOutput: @escaping Driver.Output,
    clientOutput: @escaping Driver.Output
) throws -> (server: Driver, client: Driver) {
    var options = DriverOptions()
    try options.extensions.add(XORExtension())
    let server = Driver.server(options: options, output: serverOutput)
    let client = try Driver.client(url: url, options: options, output: clientOutput)
    return (server, client)
}
