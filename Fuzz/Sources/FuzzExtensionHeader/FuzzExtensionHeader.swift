import FuzzSupport
import PermessageDeflate
import WebSocketExtensions

/// The `Sec-WebSocket-Extensions` grammar, and the negotiations built on it.
///
/// Input: a flags byte (bit 0 `noContextTakeover`, bit 1 `requestNoContextTakeover`, bit 2 set
/// `maxWindowBits` and bit 3 `requestMaxWindowBits` from the next byte), then the header value.
/// Checks: parsing never crashes; whatever parses and serializes parses back to the same
/// offers; a server negotiation's response header activates a client negotiation; the value
/// as a client's response header is either activated or refused with an error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExtensionHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let windows = input.byte()
    let header = String(decoding: input.rest(), as: UTF8.self)

    if let offers = try? ExtensionHeader.parse(header) {
        for offer in offers {
            _ = offer.description
            for parameter in offer.parameters { _ = parameter.integerValue }
            _ = offer.parameters.repeatedNames
        }
        if let serialized = try? ExtensionHeader.serialize(offers) {
            let reparsed = try? ExtensionHeader.parse(serialized)
            fuzzCheck(reparsed == offers, "\(serialized.debugDescription) does not parse back to \(offers)")
        }
    }

    guard
        let configuration = try? PermessageDeflate(
            noContextTakeover: flags & 1 != 0,
            requestNoContextTakeover: flags & 2 != 0,
            maxWindowBits: flags & 4 != 0 ? 8 + Int(windows & 7) : nil,
            requestMaxWindowBits: flags & 8 != 0 ? 8 + Int(windows >> 4 & 7) : nil
        )
    else {
        fuzzCheck(false, "a valid configuration was refused")
        return 0
    }
    var registry = ExtensionRegistry()
    do {
        try registry.add(configuration)
    } catch {
        fuzzCheck(false, "registering permessage-deflate failed: \(error)")
    }

    // The header as a client's offer.
    if let negotiation = try? registry.negotiateServer(offerHeader: header) {
        defer { negotiation.pipeline.close() }
        if let response = negotiation.responseHeader {
            // A client that offered permessage-deflate in full accepts any response the server
            // built from a valid offer, as long as it offered what the response answers; the
            // client here offers the defaults, so only check that activation does not crash.
            if let client = PermessageDeflate().makeClientSession() {
                if let parsed = try? ExtensionHeader.parse(response), let first = parsed.first {
                    fuzzCheck(first.name == PermessageDeflate.extensionName, "response names \(first.name)")
                    try? client.activate(first.parameters)
                } else {
                    fuzzCheck(false, "the server's response \(response.debugDescription) does not parse")
                }
                client.close()
            }
        }
    }

    // The header as a server's response to our offer.
    if let negotiation = try? registry.makeClientNegotiation() {
        if let pipeline = try? negotiation.activate(responseHeader: header) {
            _ = pipeline.extensionNames
            pipeline.close()
        }
    }
    return 0
}
