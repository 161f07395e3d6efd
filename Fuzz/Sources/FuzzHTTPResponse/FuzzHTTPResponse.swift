import FuzzSupport
import PermessageDeflate
import WebSocketDriver

/// The HTTP response parser of a client driver (the opening handshake's validation), and the
/// frames that follow a successful one.
///
/// Input: a flags byte (bits 0–1 `maxLength`, bit 2 offer permessage-deflate, bit 3 offer the
/// subprotocols `chat` and `superchat`, bits 4–5 the head limits: default, 64 bytes, 512 bytes
/// / 4 headers, 0), a chunking seed byte, then the server's bytes, in which every `@ACCEPT@` is
/// replaced by the right `Sec-WebSocket-Accept` for the run's random key. The bytes are fed once
/// in one read and once in chunks; both runs must emit the same events.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let bytes = input.rest()

    let whole = run(flags: flags, bytes: bytes, chunker: nil)
    let chunked = run(flags: flags, bytes: bytes, chunker: Chunker(seed: seed))
    fuzzCheck(whole.events == chunked.events, "events differ: \(whole.events) vs \(chunked.events)")
    return 0
}

private func run(flags: UInt8, bytes: [UInt8], chunker: Chunker?) -> DriverRecorder {
    let recorder = DriverRecorder()
    var options = DriverOptions.fuzzed(flags)
    if flags & 4 != 0 {
        try? options.extensions.add(PermessageDeflate())
    }
    if flags & 8 != 0 { options.protocols = ["chat", "superchat"] }
    switch (flags >> 4) & 3 {
    case 1: options.httpLimits = HTTPHeadLimits(maxHeadLength: 64)
    case 2: options.httpLimits = HTTPHeadLimits(maxHeadLength: 512, maxHeaderCount: 4)
    case 3: options.httpLimits = HTTPHeadLimits(maxHeadLength: 0)
    default: break
    }
    guard let driver = try? Driver.client(url: "ws://example.com/chat", options: options, output: recorder.output)
    else {
        fuzzCheck(false, "the client URL was refused")
        return recorder
    }
    recorder.attach(to: driver)
    driver.start()
    let accept = acceptValue(forRequest: recorder.written)
    recorder.redaction = Array(accept.utf8)
    let response = substitutingAccept(bytes, accept: accept)
    if var chunker {
        for chunk in chunker.split(response) { driver.parse(chunk) }
    } else {
        driver.parse(response)
    }
    // The accessors must cope with whatever the parser accepted.
    _ = driver.status
    _ = driver.headers
    _ = driver.protocol
    _ = driver.extensions
    if flags & 0x40 != 0 { driver.text("hello") }
    driver.transportClosed()
    recorder.checkInvariants()
    return recorder
}
