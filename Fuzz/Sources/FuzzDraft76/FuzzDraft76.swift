import FuzzSupport
import WebSocketDriver

/// The draft-76 (hixie-76) server handshake: the two `Sec-WebSocket-Key` headers, the 8-byte
/// body, and the draft-75/76 framing that follows.
///
/// Input: a flags byte (bits 0–1 `maxLength`, bit 2 go through `Driver.forRequest` rather than
/// `Driver.server`, bit 3 call `start()` before the body arrives, bit 4 omit `Key2`), a
/// chunking seed byte, the first key up to a newline, the second key up to a newline, then the
/// bytes after the head (the key3 body, then frames). CR and LF cannot occur inside a key
/// (they would end the header). The bytes after the head are fed once in one read and once in
/// chunks; both runs must emit the same events and write the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDraft76(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let key1 = headerValue(input.line())
    let key2 = headerValue(input.line())
    let body = input.rest()

    let whole = run(flags: flags, key1: key1, key2: key2, reads: [body[...]])
    var chunker = Chunker(seed: seed)
    let chunked = run(flags: flags, key1: key1, key2: key2, reads: chunker.split(body))
    fuzzCheck(whole.events == chunked.events, "events differ: \(whole.events) vs \(chunked.events)")
    fuzzCheck(whole.written == chunked.written, "output differs between one read and chunks")
    return 0
}

/// A header value from fuzz bytes: invalid UTF-8 repaired, CR, LF and NUL left out, outer white
/// space trimmed (as the HTTP parser would).
private func headerValue(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes.filter { $0 != 0x0D && $0 != 0x0A && $0 != 0 }, as: UTF8.self)
    var scalars = Substring(text).unicodeScalars
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
    return String(scalars)
}

private func run(flags: UInt8, key1: String, key2: String, reads: [ArraySlice<UInt8>]) -> DriverRecorder {
    let recorder = DriverRecorder()
    let options = DriverOptions.fuzzed(flags)
    var fields: [(String, String)] = [
        ("Host", "example.com"), ("Connection", "Upgrade"), ("Upgrade", "WebSocket"),
        ("Origin", "http://example.com"), ("Sec-WebSocket-Key1", key1),
    ]
    if flags & 0x10 == 0 { fields.append(("Sec-WebSocket-Key2", key2)) }
    let driver: Driver
    if flags & 4 != 0 {
        let request = IncomingRequest(method: "GET", target: "/demo", headers: HeaderFields(fields))
        driver = Driver.forRequest(request, options: options, output: recorder.output)
        recorder.attach(to: driver)
        if flags & 8 != 0 { driver.start() }
    } else {
        let server = Driver.server(options: options, output: recorder.output)
        recorder.attach(to: server)
        if flags & 8 != 0 { server.start() }
        var head = "GET /demo HTTP/1.1\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        server.parse(Array(head.utf8))
        driver = server
    }
    for read in reads { driver.parse(read) }
    if flags & 8 == 0 { driver.start() }
    driver.text("reply")
    driver.transportClosed()
    recorder.checkInvariants()
    return recorder
}
