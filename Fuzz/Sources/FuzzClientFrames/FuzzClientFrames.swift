import FuzzSupport
import PermessageDeflate
import WebSocketDriver

/// The hybi-13 frame parser in the client role.
///
/// Input: a flags byte (bits 0–1 `maxLength`, bit 2 negotiate permessage-deflate, bit 3 send
/// the 101 response in the same read as the first frames), a chunking seed byte, then the bytes
/// the server sends after its 101 response (unmasked frames, normally). The frames are fed once
/// in one read and once in chunks; both runs must emit the same events (the output differs:
/// client frames are masked with random keys).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let frames = input.rest()

    let whole = run(flags: flags, reads: [frames[...]])
    var chunker = Chunker(seed: seed)
    let chunked = run(flags: flags, reads: chunker.split(frames))
    fuzzCheck(whole.events == chunked.events, "events differ: \(whole.events) vs \(chunked.events)")
    return 0
}

private func run(flags: UInt8, reads: [ArraySlice<UInt8>]) -> DriverRecorder {
    let recorder = DriverRecorder()
    var options = DriverOptions.fuzzed(flags)
    let deflate = flags & 4 != 0
    if deflate {
        try? options.extensions.add(PermessageDeflate())
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
    var head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    head += "Sec-WebSocket-Accept: \(accept)\r\n"
    if deflate { head += "Sec-WebSocket-Extensions: permessage-deflate\r\n" }
    head += "\r\n"
    var reads = reads
    if flags & 8 != 0, !reads.isEmpty {
        reads[0] = (Array(head.utf8) + reads[0])[...]
    } else {
        driver.parse(Array(head.utf8))
    }
    for read in reads { driver.parse(read) }
    driver.transportClosed()
    recorder.checkInvariants()
    return recorder
}
