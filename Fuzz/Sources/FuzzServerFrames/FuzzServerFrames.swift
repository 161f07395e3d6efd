import FuzzSupport
import PermessageDeflate
import WebSocketDriver

/// The hybi-13 frame parser in the server role.
///
/// Input: a flags byte (bits 0–1 `maxLength`, bit 2 negotiate permessage-deflate, bit 3 parse
/// the request head through `Driver.server` rather than `Driver.forRequest`), a chunking seed
/// byte, then the bytes the client sends after its handshake (masked frames, normally). The
/// frames are fed once in one read and once in chunks; both runs must emit the same events and
/// write the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let frames = input.rest()

    let whole = run(flags: flags, reads: [frames[...]])
    var chunker = Chunker(seed: seed)
    let chunked = run(flags: flags, reads: chunker.split(frames))
    fuzzCheck(whole.events == chunked.events, "events differ: \(whole.events) vs \(chunked.events)")
    fuzzCheck(whole.written == chunked.written, "output differs between one read and chunks")
    return 0
}

private let extensionHeader = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"

private func requestHead(deflate: Bool) -> String {
    "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (deflate ? extensionHeader : "") + "\r\n"
}

private func run(flags: UInt8, reads: [ArraySlice<UInt8>]) -> DriverRecorder {
    let recorder = DriverRecorder()
    var options = DriverOptions.fuzzed(flags)
    let deflate = flags & 4 != 0
    if deflate {
        try? options.extensions.add(PermessageDeflate())
    }
    let driver: Driver
    if flags & 8 != 0 {
        let server = Driver.server(options: options, output: recorder.output)
        recorder.attach(to: server) { [unowned server] _ in server.start() }
        server.parse(Array(requestHead(deflate: deflate).utf8))
        driver = server
    } else {
        var headers: HeaderFields = [
            "Host": "example.com", "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
        ]
        if deflate { headers.append(name: "Sec-WebSocket-Extensions", value: "permessage-deflate") }
        let request = IncomingRequest(method: "GET", target: "/chat", headers: headers)
        driver = Driver.forRequest(request, options: options, output: recorder.output)
        recorder.attach(to: driver)
        driver.start()
    }
    for read in reads { driver.parse(read) }
    driver.transportClosed()
    recorder.checkInvariants()
    return recorder
}
