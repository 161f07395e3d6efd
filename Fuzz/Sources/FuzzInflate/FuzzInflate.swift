import FuzzSupport
import PermessageDeflate
import WebSocketExtensions

/// permessage-deflate sessions negotiated from random parameters, then inflating random
/// payloads (and the peer's real output) under small `maxLength` limits.
///
/// Input: two configuration bytes (client, server), a window byte, an offer-mode byte (the
/// client's real offer, or offer parameters drawn from the next bytes), then operations:
/// `op, length, payload…`. An operation sends either the peer's compressed form of the payload
/// (a round trip, which must reproduce it exactly while the stream holds only real data, or
/// throw ``ExtensionMessageTooLarge`` when it is longer than the limit) or the payload itself
/// with RSV1 set (random compressed data, which must inflate within the limit or throw).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInflate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let clientFlags = input.byte()
    let serverFlags = input.byte()
    let windows = input.byte()
    let offerMode = input.byte()

    guard let clientConfiguration = configuration(clientFlags, windows: windows),
        let serverConfiguration = configuration(serverFlags, windows: windows >> 4 | windows << 4),
        let client = clientConfiguration.makeClientSession()
    else { return 0 }
    defer { client.close() }

    var offers = client.generateOffer()
    if offerMode & 1 != 0 { offers = [randomOffer(&input)] + (offerMode & 2 != 0 ? offers : []) }
    guard let server = serverConfiguration.makeServerSession(offers: offers) else { return 0 }
    defer { server.close() }
    let response = server.generateResponse()
    do {
        try client.activate(response)
    } catch {
        // A server session built from a random offer may answer what this client did not
        // offer; then there is no connection. With the client's own offer it must be accepted.
        fuzzCheck(offerMode & 1 != 0, "the client refused \(response) to its own offer \(offers): \(error)")
        return 0
    }

    // Whether each receiving side has only ever been fed its peer's real output.
    var serverClean = true
    var clientClean = true
    while !input.isAtEnd {
        let op = input.byte()
        let length = Int(input.byte())
        var payload = input.take(length)
        if op & 0x80 != 0 {
            // Compressible: the payload repeated.
            let repeats = Int(op >> 3 & 0x0F)
            payload = Array(repeating: payload, count: repeats + 1).flatMap { $0 }
        }
        let maxLength = limit(op >> 1 & 3, payload: payload.count)
        let toServer = op & 1 == 0
        let sender: any ExtensionSession = toServer ? client : server
        let receiver: any ExtensionSession = toServer ? server : client
        let clean = toServer ? serverClean : clientClean
        let opcode: Opcode = op & 0x40 != 0 ? .text : .binary
        var stillClean = clean

        if op & 0x20 == 0 {
            let original = Message(opcode: opcode, payload: payload)
            let sent: Message
            do {
                sent = try sender.processOutgoingMessage(original)
            } catch {
                fuzzCheck(false, "compressing \(payload.count) bytes failed: \(error)")
                return 0
            }
            do {
                let received = try receiver.processIncomingMessage(sent, maxLength: maxLength)
                fuzzCheck(received.payload.count <= maxLength, "inflated \(received.payload.count) > \(maxLength)")
                if clean {
                    fuzzCheck(received.payload == payload, "round trip changed \(payload.count) bytes")
                    fuzzCheck(received.opcode == opcode, "round trip changed the opcode")
                }
            } catch is ExtensionMessageTooLarge {
                if clean { fuzzCheck(payload.count > maxLength, "\(payload.count) bytes refused under \(maxLength)") }
                stillClean = false
            } catch {
                fuzzCheck(!clean, "inflating the peer's real output failed: \(error)")
                stillClean = false
            }
        } else {
            let junk = Message(opcode: opcode, reservedBits: .rsv1, payload: payload)
            if let received = try? receiver.processIncomingMessage(junk, maxLength: maxLength) {
                fuzzCheck(received.payload.count <= maxLength, "inflated \(received.payload.count) > \(maxLength)")
            }
            stillClean = false
        }
        if toServer { serverClean = stillClean } else { clientClean = stillClean }
    }
    return 0
}

/// A configuration from a flags byte: bit 0 `noContextTakeover`, bit 1
/// `requestNoContextTakeover`, bit 2 `maxWindowBits`, bit 3 `requestMaxWindowBits` (8–15 from
/// `windows`), bits 4–5 the memory level, bit 6 level 1 instead of the default.
private func configuration(_ flags: UInt8, windows: UInt8) -> PermessageDeflate? {
    do {
        return try PermessageDeflate(
            compressionLevel: flags & 0x40 != 0 ? 1 : -1,
            memoryLevel: 1 + Int(flags >> 4 & 3) * 2,
            noContextTakeover: flags & 1 != 0,
            requestNoContextTakeover: flags & 2 != 0,
            maxWindowBits: flags & 4 != 0 ? 8 + Int(windows & 7) : nil,
            requestMaxWindowBits: flags & 8 != 0 ? 8 + Int(windows >> 4 & 7) : nil,
            compressionThreshold: 0
        )
    } catch {
        fuzzCheck(false, "a valid configuration was refused: \(error)")
        return nil
    }
}

/// The largest inflated message allowed: 0, 1, 64 or 4096 bytes, or the payload's own length
/// when the `mode` says so (exactly at the limit).
private func limit(_ mode: UInt8, payload: Int) -> Int {
    switch mode {
    case 0: return payload
    case 1: return 64
    case 2: return 4096
    default: return max(0, payload - 1)
    }
}

/// Offer parameters drawn from the input: up to four of the RFC 7692 names, each bare or with
/// a value such as `8`, `15`, `7`, `16`, `08` or `x`.
private func randomOffer(_ input: inout FuzzInput) -> ExtensionParameters {
    let names = [
        "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
        "client_max_window_bits", "unknown",
    ]
    let values: [String?] = [nil, "8", "9", "12", "15", "7", "16", "08", "x", ""]
    var parameters = ExtensionParameters()
    let count = Int(input.byte() & 3)
    for _ in 0..<count {
        let name = names[Int(input.byte()) % names.count]
        let value = values[Int(input.byte()) % values.count]
        parameters.append(ExtensionParameter(name, value: value))
    }
    return parameters
}
