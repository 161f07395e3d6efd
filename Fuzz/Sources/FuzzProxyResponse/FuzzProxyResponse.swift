import FuzzSupport
import WebSocketDriver

/// The proxy's response to a CONNECT (`ProxyConnect`).
///
/// Input: a flags byte (bits 0–1 the head limits: default, 64 bytes, 512 bytes / 4 headers, 0),
/// a chunking seed byte, then the proxy's bytes. They are fed once in one read and once in
/// chunks. Both runs must end the same way; on success the tunnel bytes (those after the head
/// in its read, then every later read) must be the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let bytes = input.rest()

    let whole = run(flags: flags, reads: [bytes[...]])
    var chunker = Chunker(seed: seed)
    let chunked = run(flags: flags, reads: chunker.split(bytes))
    fuzzCheck(whole == chunked, "outcomes differ: \(whole) vs \(chunked)")
    return 0
}

private struct Outcome: Equatable {
    var events: [String] = []
    var tunnel: [UInt8] = []
    var status: Int?
}

private func run(flags: UInt8, reads: [ArraySlice<UInt8>]) -> Outcome {
    var limits = HTTPHeadLimits()
    switch flags & 3 {
    case 1: limits = HTTPHeadLimits(maxHeadLength: 64)
    case 2: limits = HTTPHeadLimits(maxHeadLength: 512, maxHeaderCount: 4)
    case 3: limits = HTTPHeadLimits(maxHeadLength: 0)
    default: break
    }
    guard let target = try? WebSocketURL("wss://example.com/chat"),
        let proxy = try? ProxyConnect(
            proxyURL: "http://user:secret@proxy.example:3128", target: target, limits: limits, output: { _ in })
    else {
        fuzzCheck(false, "the proxy or target URL was refused")
        return Outcome()
    }
    var outcome = Outcome()
    var connected = false
    var finished = false
    proxy.onConnect = { tunnel in
        fuzzCheck(!finished, "the proxy connection ended twice")
        finished = true
        connected = true
        outcome.events.append("connect")
        outcome.tunnel += tunnel
    }
    proxy.onError = { error in
        fuzzCheck(!finished, "the proxy connection ended twice")
        finished = true
        outcome.events.append("error \(error)")
    }
    proxy.start()
    for read in reads {
        if connected {
            // The tunnel is open: the application reads these bytes itself.
            outcome.tunnel += read
        } else {
            proxy.parse(read)
        }
    }
    outcome.status = proxy.status
    _ = proxy.response?.headers
    return outcome
}
