import FuzzSupport
import WebSocketDriver

/// The HTTP request parser of a server driver (`Driver.server`), and whatever the request
/// selects next (hybi-13, draft-76 or draft-75 with the bytes that follow the head).
///
/// Input: a flags byte (bits 0–1 `maxLength`, bit 2 call `start()` from `onConnect`, bit 3
/// call it before any byte, bits 4–5 the head limits: default, 64 bytes, 512 bytes / 4
/// headers, 0), a chunking seed byte, then the raw bytes of the connection. The bytes are fed
/// once in one read and once in chunks; both runs must emit the same events and write the same
/// bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let bytes = input.rest()

    let whole = run(flags: flags, reads: [bytes[...]])
    var chunker = Chunker(seed: seed)
    let chunked = run(flags: flags, reads: chunker.split(bytes))
    fuzzCheck(whole.events == chunked.events, "events differ: \(whole.events) vs \(chunked.events)")
    fuzzCheck(whole.written == chunked.written, "output differs between one read and chunks")
    return 0
}

private func run(flags: UInt8, reads: [ArraySlice<UInt8>]) -> DriverRecorder {
    let recorder = DriverRecorder()
    var options = DriverOptions.fuzzed(flags)
    switch (flags >> 4) & 3 {
    case 1: options.httpLimits = HTTPHeadLimits(maxHeadLength: 64)
    case 2: options.httpLimits = HTTPHeadLimits(maxHeadLength: 512, maxHeaderCount: 4)
    case 3: options.httpLimits = HTTPHeadLimits(maxHeadLength: 0)
    default: break
    }
    let driver = Driver.server(options: options, output: recorder.output)
    let startOnConnect = flags & 4 != 0
    recorder.attach(to: driver) { [unowned driver] request in
        if startOnConnect {
            driver.start()
        }
        // The accessors must cope with whatever the parser accepted.
        _ = request.path
        _ = request.query
        _ = driver.url
        _ = driver.version
        _ = driver.protocol
        _ = Driver.isWebSocketRequest(request)
    }
    if flags & 8 != 0 { driver.start() }
    for read in reads { driver.parse(read) }
    if flags & 0x40 != 0 { driver.text("hello") }
    driver.transportClosed()
    recorder.checkInvariants()
    return recorder
}
