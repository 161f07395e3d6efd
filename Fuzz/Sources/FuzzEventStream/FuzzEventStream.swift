import EventStream
import FuzzSupport

/// `EventStreamParser`, the `text/event-stream` parser, under small bounds.
///
/// Input: a flags byte (bits 0–1 `maxLineLength`: the default, the line byte, 4 × the line byte
/// or 7; bits 2–3 `maxEventLength`: the default, the event byte, 4 × the event byte or 2; bit 4
/// resume from the last event ID `resume-7` rather than none), a chunking seed byte, the line
/// byte, the event byte, then the stream. The stream is parsed three ways: in one read (the
/// `[UInt8]` entry point), in chunks each in an allocation of its own size (the raw-buffer entry
/// point, so that AddressSanitizer catches a read past a chunk), and by a plain line-by-line
/// model of the standard written here. All three must give the same outputs, the same last
/// event ID and the same error, if any: a bound is checked on the whole line and the whole event
/// however the bytes are split, and lines before the one that throws are reported in full.
///
/// Checked on every output: an event's data is within `maxEventLength` (counting the LF each
/// line adds), each of its lines (with `data:`), its type (with `event:`) and a last event ID
/// read from the stream (with `id:`) within `maxLineLength`; its type is not empty and has no
/// CR or LF; data has no CR; the last event ID has no NUL, CR or LF; a retry is not negative.
/// Lengths are counted in stream bytes (a U+FFFD as at least one). After `finish()`, `data: x`
/// and a blank line give exactly one event `x`, with the last event ID unchanged (or the
/// bound's error when `data: x` does not fit).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let seed = input.byte()
    let lineByte = Int(input.byte())
    let eventByte = Int(input.byte())
    let stream = input.rest()

    var limits = EventStreamParser.Limits()
    switch flags & 3 {
    case 1: limits.maxLineLength = lineByte
    case 2: limits.maxLineLength = lineByte * 4
    case 3: limits.maxLineLength = 7  // exactly `data: x`
    default: break
    }
    switch (flags >> 2) & 3 {
    case 1: limits.maxEventLength = eventByte
    case 2: limits.maxEventLength = eventByte * 4
    case 3: limits.maxEventLength = 2  // exactly `x` and its LF
    default: break
    }
    let resumedID = flags & 0x10 != 0 ? "resume-7" : ""

    var whole = EventStreamParser(lastEventID: resumedID, limits: limits)
    var wholeOutputs: [EventStreamParser.Output] = []
    var wholeError: EventStreamError?
    do {
        try whole.parse(stream, into: &wholeOutputs)
    } catch {
        wholeError = error
    }

    var chunked = EventStreamParser(lastEventID: resumedID, limits: limits)
    var chunkedOutputs: [EventStreamParser.Output] = []
    var chunkedError: EventStreamError?
    var chunker = Chunker(seed: seed)
    for chunk in chunker.split(stream) {
        // Exactly the chunk's bytes: any read past them is an AddressSanitizer report.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: chunk)
        do {
            try chunked.parse(UnsafeRawBufferPointer(buffer), into: &chunkedOutputs)
        } catch {
            chunkedError = error
            break
        }
    }

    let model = Model(stream, lastEventID: resumedID, limits: limits)

    fuzzCheck(
        wholeError == chunkedError,
        "one read threw \(describe(wholeError)), chunks threw \(describe(chunkedError))")
    fuzzCheck(wholeOutputs == chunkedOutputs, "outputs differ: \(wholeOutputs) vs \(chunkedOutputs) in chunks")
    fuzzCheck(
        whole.lastEventID == chunked.lastEventID,
        "last event ID \(whole.lastEventID.debugDescription) vs \(chunked.lastEventID.debugDescription) in chunks")
    fuzzCheck(
        wholeError == model.error, "the parser threw \(describe(wholeError)), the model \(describe(model.error))")
    fuzzCheck(wholeOutputs == model.outputs, "outputs differ: \(wholeOutputs) vs \(model.outputs) in the model")
    fuzzCheck(
        whole.lastEventID == model.lastEventID,
        "last event ID \(whole.lastEventID.debugDescription) vs \(model.lastEventID.debugDescription) in the model")

    for output in wholeOutputs { check(output, limits: limits, resumedID: resumedID) }
    check(lastEventID: whole.lastEventID, limits: limits, resumedID: resumedID)

    checkAfterFinish(&whole)
    checkAfterFinish(&chunked)
    return 0
}

private func describe(_ error: EventStreamError?) -> String {
    error.map { "\($0)" } ?? "nothing"
}

/// How many bytes of the stream a decoded string came from, at least: each U+FFFD stands for
/// one or more invalid bytes, or for its own 3 bytes, and every other scalar for its UTF-8.
private func leastRawLength(_ text: Substring) -> Int {
    var length = 0
    for scalar in text.unicodeScalars {
        length += scalar == "\u{FFFD}" ? 1 : String(scalar).utf8.count
    }
    return length
}

private func check(_ output: EventStreamParser.Output, limits: EventStreamParser.Limits, resumedID: String) {
    switch output {
    case .retry(let milliseconds):
        fuzzCheck(milliseconds >= 0, "retry \(milliseconds)")
    case .event(let event):
        fuzzCheck(!event.type.isEmpty, "an event with an empty type: \(event)")
        fuzzCheck(
            !event.type.unicodeScalars.contains { $0 == "\r" || $0 == "\n" },
            "an event type with CR or LF: \(event.type.debugDescription)")
        fuzzCheck(!event.data.unicodeScalars.contains("\r"), "event data with CR: \(event.data.debugDescription)")
        let lines = event.data.split(separator: "\n", omittingEmptySubsequences: false)
        // Every line of data came with an LF, and the last one's is dropped.
        let dataLength = lines.reduce(0) { $0 + leastRawLength($1) + 1 } - 1
        fuzzCheck(
            dataLength + 1 <= limits.maxEventLength,
            "event data of at least \(dataLength) bytes under maxEventLength \(limits.maxEventLength)")
        for line in lines {
            // `data:` and the value, or `data` alone for an empty one.
            let lineLength = line.isEmpty ? "data".count : "data:".count + leastRawLength(line)
            fuzzCheck(
                lineLength <= limits.maxLineLength,
                "a data line of at least \(lineLength) bytes under maxLineLength \(limits.maxLineLength)")
        }
        if event.type != "message" {
            fuzzCheck(
                leastRawLength(Substring(event.type)) + "event:".count <= limits.maxLineLength,
                "an event type longer than maxLineLength \(limits.maxLineLength)")
        }
        check(lastEventID: event.lastEventID, limits: limits, resumedID: resumedID)
    }
}

private func check(lastEventID: String, limits: EventStreamParser.Limits, resumedID: String) {
    fuzzCheck(
        !lastEventID.unicodeScalars.contains { $0 == "\0" || $0 == "\r" || $0 == "\n" },
        "a last event ID with NUL, CR or LF: \(lastEventID.debugDescription)")
    // An empty ID may come from `id` alone, 2 bytes; any other from `id:` and the value.
    if lastEventID != resumedID && !lastEventID.isEmpty {
        fuzzCheck(
            leastRawLength(Substring(lastEventID)) + "id:".count <= limits.maxLineLength,
            "a last event ID longer than maxLineLength \(limits.maxLineLength)")
    }
}

/// After `finish()` the parser takes a new stream: `data: x` and a blank line are one event `x`
/// with the last event ID unchanged, whatever the previous stream left (even after an error).
private func checkAfterFinish(_ parser: inout EventStreamParser) {
    let lastEventID = parser.lastEventID
    parser.finish()
    fuzzCheck(parser.lastEventID == lastEventID, "finish() changed the last event ID")
    var outputs: [EventStreamParser.Output] = []
    var thrown: EventStreamError?
    do {
        try parser.parse(Array("data: x\n\n".utf8), into: &outputs)
    } catch {
        thrown = error
    }
    let limits = parser.limits
    if limits.maxLineLength < 7 {
        fuzzCheck(
            thrown == EventStreamError.lineTooLong(limit: limits.maxLineLength), "after finish(): \(describe(thrown))")
    } else if limits.maxEventLength < 2 {
        fuzzCheck(
            thrown == EventStreamError.eventTooLarge(limit: limits.maxEventLength),
            "after finish(): \(describe(thrown))")
    } else {
        fuzzCheck(thrown == nil, "after finish(): threw \(describe(thrown))")
        let expected = EventStreamParser.Output.event(MessageEvent(data: "x", lastEventID: lastEventID))
        fuzzCheck(outputs == [expected], "after finish(): \(outputs)")
        fuzzCheck(parser.lastEventID == lastEventID, "after finish(): the last event ID moved")
    }
}

/// The standard's algorithm, line by line over the whole stream, kept as plain as possible, with
/// the parser's bounds: a line longer than `maxLineLength` (the unfinished last one too) throws
/// when it is reached, and so does a `data` field that takes the data beyond `maxEventLength`.
private struct Model {
    var outputs: [EventStreamParser.Output] = []
    var error: EventStreamError?
    var lastEventID: String

    private var pendingID: String
    private var eventType = ""
    private var data: [UInt8] = []

    init(_ stream: [UInt8], lastEventID: String, limits: EventStreamParser.Limits) {
        self.lastEventID = lastEventID
        pendingID = lastEventID
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var bytes = stream[...]
        if bytes.starts(with: byteOrderMark) {
            bytes = bytes.dropFirst(3)
        } else if !bytes.isEmpty && byteOrderMark.starts(with: bytes) {
            // The stream ended inside what may have been a mark: nothing was text yet.
            return
        }
        while !bytes.isEmpty {
            let end = bytes.firstIndex { $0 == 0x0A || $0 == 0x0D }
            let line = bytes[..<(end ?? bytes.endIndex)]
            if line.count > limits.maxLineLength {
                error = .lineTooLong(limit: limits.maxLineLength)
                return
            }
            guard let end else { return }  // an unfinished line is discarded
            bytes = bytes[(end + 1)...]
            if stream[end] == 0x0D && bytes.first == 0x0A { bytes = bytes.dropFirst() }
            if let thrown = process(Array(line), limits: limits) {
                error = thrown
                return
            }
        }
    }

    private mutating func process(_ line: [UInt8], limits: EventStreamParser.Limits) -> EventStreamError? {
        if line.isEmpty {
            lastEventID = pendingID
            if !data.isEmpty {
                data.removeLast()
                let type = eventType.isEmpty ? "message" : eventType
                let text = String(decoding: data, as: UTF8.self)
                outputs.append(.event(MessageEvent(type: type, data: text, lastEventID: lastEventID)))
            }
            data = []
            eventType = ""
            return nil
        }
        if line[0] == UInt8(ascii: ":") { return nil }
        var name = line[...]
        var value: ArraySlice<UInt8> = []
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            name = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        }
        if name.elementsEqual("data".utf8) {
            if data.count + value.count + 1 > limits.maxEventLength {
                return .eventTooLarge(limit: limits.maxEventLength)
            }
            data += value
            data.append(0x0A)
        } else if name.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            if !value.contains(0) { pendingID = String(decoding: value, as: UTF8.self) }
        } else if name.elementsEqual("retry".utf8) {
            if !value.isEmpty && value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                // Saturating, as the parser: a value beyond Int.max is Int.max.
                var milliseconds = 0
                for digit in value {
                    let (times10, overflow1) = milliseconds.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                    milliseconds = overflow1 || overflow2 ? Int.max : sum
                }
                outputs.append(.retry(milliseconds: milliseconds))
            }
        }  // other fields are ignored
        return nil
    }
}
