/// An incremental parser for the head of an HTTP/1.1 message: the start line and the header
/// fields up to the empty line (RFC 7230 §3).
///
/// Feed it bytes as they arrive, split anywhere; it returns ``Result/needMoreData`` until the
/// head is complete, then the parsed head and how many bytes of the last input belonged to it.
/// The caller keeps the rest of that input (a draft-76 body, early WebSocket frames).
///
/// Only the current incomplete line is buffered, never more than
/// ``HTTPHeadLimits/maxHeadLength`` bytes, and every byte is examined a bounded number of times.
///
/// Rules:
/// - Lines end in CRLF; a bare LF is accepted too (RFC 7230 §3.5). A CR anywhere else is an
///   invalid character.
/// - Empty lines before a request line are ignored (RFC 7230 §3.5); they count towards the
///   length limit.
/// - Request line: `method SP request-target SP HTTP-version`, single spaces, the method a token,
///   the target non-empty without spaces or control characters.
/// - Status line: `HTTP-version SP 3DIGIT [SP reason-phrase]`; the reason may be empty or
///   missing, and may contain HTAB and non-ASCII bytes.
/// - Versions `HTTP/1.0` and `HTTP/1.1` are accepted; another `HTTP/DIGIT.DIGIT` is
///   ``HTTPParseError/unsupportedVersion(_:)``, anything else a malformed start line.
/// - Header line: `token ":" OWS value OWS`; whitespace before the colon and obsolete line
///   folding are rejected; values may contain HTAB and bytes 0x80 and above but no other control
///   character. Names and values are decoded as UTF-8 (invalid sequences become U+FFFD).
///
/// Once ``parse(_:)`` has returned a complete head, a further call is a programming error: it
/// returns the same head again with `consumed: 0`. Once it has thrown, every further call throws
/// the same error.
struct HTTPHeadParser {
    /// Which kind of head to expect.
    enum Kind: Sendable, Hashable {
        /// A request head, as a server receives it.
        case request
        /// A response head, as a client receives it.
        case response
    }

    /// The outcome of feeding bytes to the parser.
    enum Result: Sendable, Hashable {
        /// The head is not complete yet; every byte given so far belonged to it.
        case needMoreData
        /// The request head is complete; the first `consumed` bytes of the last input belonged to
        /// it, the rest did not.
        case request(IncomingRequest, consumed: Int)
        /// The response head is complete; the first `consumed` bytes of the last input belonged
        /// to it, the rest did not.
        case response(HandshakeResponse, consumed: Int)
    }

    /// The kind of head this parser expects.
    let kind: Kind
    /// The limits enforced while the head arrives.
    let limits: HTTPHeadLimits

    private var state: State = .parsing
    /// The bytes of a line begun in an earlier input and not finished yet.
    private var partialLine: [UInt8] = []
    /// How many bytes of the head have been seen so far.
    private var headLength = 0
    /// The number of the last complete line (the start line is 1).
    private var lineNumber = 0
    private var startLine: StartLine?
    private var headers = HeaderFields()

    /// Creates a parser for one head.
    ///
    /// - Parameters:
    ///   - kind: Whether to parse a request or a response head.
    ///   - limits: The size limits; defaults to 16 KiB and 100 header fields.
    init(kind: Kind, limits: HTTPHeadLimits = .init()) {
        self.kind = kind
        self.limits = limits
    }

    /// Feeds the next bytes of the message.
    ///
    /// - Returns: ``Result/needMoreData`` if the head is not complete; otherwise the head with the
    ///   number of bytes of `bytes` that belonged to it.
    /// - Throws: ``HTTPParseError`` as soon as the bytes seen so far cannot start a valid head or
    ///   exceed a limit.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> Result {
        switch state {
        case .parsing:
            break
        case .finished(let result):
            return result.withNothingConsumed
        case .failed(let error):
            throw error
        }
        do throws(HTTPParseError) {
            let result = try consume(bytes)
            if case .needMoreData = result {
            } else {
                state = .finished(result)
                partialLine = []
            }
            return result
        } catch {
            state = .failed(error)
            partialLine = []
            throw error
        }
    }

    // MARK: Lines

    private mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) -> Result {
        var index = 0
        while index < bytes.count {
            // Invariant: headLength < maxHeadLength here, so `allowance` > 0 unless the limit is
            // not positive.
            let allowance = limits.maxHeadLength - headLength
            let scanEnd = index + max(0, min(bytes.count - index, allowance))
            var lineFeed = index
            while lineFeed < scanEnd && bytes[lineFeed] != HTTPHeadSyntax.lineFeed {
                lineFeed += 1
            }
            guard lineFeed < scanEnd else {
                partialLine.append(contentsOf: bytes[index..<scanEnd])
                headLength += scanEnd - index
                if headLength >= limits.maxHeadLength {
                    // The head is not complete within the limit, so it is longer than the limit.
                    throw .headTooLarge(limit: limits.maxHeadLength)
                }
                return .needMoreData
            }
            headLength += lineFeed + 1 - index
            let segment = UnsafeRawBufferPointer(rebasing: bytes[index..<lineFeed])
            index = lineFeed + 1
            let isComplete: Bool
            if partialLine.isEmpty {
                isComplete = try completeLine(segment)
            } else {
                partialLine.append(contentsOf: segment)
                let line = partialLine
                partialLine = []
                isComplete = try line.withUnsafeBytes { buffer in
                    Swift.Result { () throws(HTTPParseError) in try completeLine(buffer) }
                }.get()
            }
            if isComplete {
                return makeResult(consumed: index)
            }
            if headLength >= limits.maxHeadLength {
                throw .headTooLarge(limit: limits.maxHeadLength)
            }
        }
        return .needMoreData
    }

    /// Handles one line without its LF; returns whether it was the empty line ending the head.
    private mutating func completeLine(_ rawLine: UnsafeRawBufferPointer) throws(HTTPParseError) -> Bool {
        var line = rawLine
        if let last = line.last, last == HTTPHeadSyntax.carriageReturn {
            line = UnsafeRawBufferPointer(rebasing: line[..<(line.count - 1)])
        }
        guard startLine != nil else {
            if line.isEmpty && kind == .request {
                return false
            }
            lineNumber = 1
            startLine = try Self.parseStartLine(line, kind: kind)
            return false
        }
        lineNumber += 1
        if line.isEmpty {
            return true
        }
        guard headers.count < limits.maxHeaderCount else {
            throw .tooManyHeaders(limit: limits.maxHeaderCount)
        }
        let field = try Self.parseHeaderLine(line, number: lineNumber, isFirst: headers.isEmpty)
        headers.append(name: field.name, value: field.value)
        return false
    }

    private func makeResult(consumed: Int) -> Result {
        switch startLine {
        case .request(let method, let target, let version):
            return .request(
                IncomingRequest(method: method, target: target, version: version, headers: headers),
                consumed: consumed
            )
        case .response(let version, let status, let reason):
            return .response(
                HandshakeResponse(version: version, status: status, reason: reason, headers: headers),
                consumed: consumed
            )
        case nil:
            // Unreachable: the head only completes after its start line.
            return .needMoreData
        }
    }

    // MARK: Start line

    private enum StartLine {
        case request(method: String, target: String, version: String)
        case response(version: String, status: Int, reason: String)
    }

    private static func parseStartLine(
        _ line: UnsafeRawBufferPointer,
        kind: Kind
    ) throws(HTTPParseError) -> StartLine {
        for byte in line where HTTPHeadSyntax.isControl(byte) && !(kind == .response && byte == HTTPHeadSyntax.tab) {
            throw .invalidCharacter(line: 1, byte: byte)
        }
        switch kind {
        case .request:
            return try parseRequestLine(line)
        case .response:
            return try parseStatusLine(line)
        }
    }

    /// `request-line = method SP request-target SP HTTP-version` (RFC 7230 §3.1.1).
    private static func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> StartLine {
        // Never empty: empty lines before a request line are skipped.
        guard let firstSpace = line.firstIndex(of: HTTPHeadSyntax.space) else {
            throw .malformedStartLine(reason: "expected \"method SP request-target SP HTTP-version\"")
        }
        let method = line[..<firstSpace]
        guard !method.isEmpty else {
            throw .malformedStartLine(reason: "the method is empty")
        }
        guard HTTPHeadSyntax.isToken(method) else {
            throw .malformedStartLine(reason: "the method is not a token")
        }
        let afterMethod = line[(firstSpace + 1)...]
        guard let secondSpace = afterMethod.firstIndex(of: HTTPHeadSyntax.space) else {
            throw .malformedStartLine(reason: "the HTTP version is missing")
        }
        let target = line[(firstSpace + 1)..<secondSpace]
        guard !target.isEmpty else {
            throw .malformedStartLine(reason: "the request-target is empty")
        }
        let version = try parseVersion(line[(secondSpace + 1)...])
        return .request(
            method: String(decoding: method, as: UTF8.self),
            target: String(decoding: target, as: UTF8.self),
            version: version
        )
    }

    /// `status-line = HTTP-version SP status-code SP reason-phrase` (RFC 7230 §3.1.2), also
    /// accepting a missing `SP reason-phrase`.
    private static func parseStatusLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) -> StartLine {
        guard !line.isEmpty else {
            throw .malformedStartLine(reason: "the status line is empty")
        }
        let versionEnd = line.firstIndex(of: HTTPHeadSyntax.space) ?? line.endIndex
        let version = try parseVersion(line[..<versionEnd])
        guard versionEnd < line.endIndex else {
            throw .malformedStartLine(reason: "the status code is missing")
        }
        let rest = UnsafeRawBufferPointer(rebasing: line[(versionEnd + 1)...])
        guard rest.count >= 3, rest[0..<3].allSatisfy(HTTPHeadSyntax.isDigit),
            rest.count == 3 || rest[3] == HTTPHeadSyntax.space
        else {
            throw .malformedStartLine(reason: "the status code is not three digits")
        }
        let status = rest[0..<3].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        let reason = rest.count > 4 ? String(decoding: rest[4...], as: UTF8.self) : ""
        return .response(version: version, status: status, reason: reason)
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT` (RFC 7230 §2.6), of which 1.0 and 1.1 are
    /// supported.
    private static func parseVersion(_ slice: Slice<UnsafeRawBufferPointer>) throws(HTTPParseError) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: slice)
        guard bytes.count == 8, bytes.starts(with: "HTTP/".utf8), HTTPHeadSyntax.isDigit(bytes[5]),
            bytes[6] == UInt8(ascii: "."), HTTPHeadSyntax.isDigit(bytes[7])
        else {
            throw .malformedStartLine(reason: "expected an HTTP version such as \"HTTP/1.1\"")
        }
        let version = String(decoding: bytes, as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw .unsupportedVersion(version)
        }
        return version
    }

    // MARK: Header fields

    /// `header-field = field-name ":" OWS field-value OWS` (RFC 7230 §3.2).
    private static func parseHeaderLine(
        _ line: UnsafeRawBufferPointer,
        number: Int,
        isFirst: Bool
    ) throws(HTTPParseError) -> HeaderField {
        if let first = line.first, HTTPHeadSyntax.isWhitespace(first) {
            if isFirst {
                // RFC 7230 §3: whitespace between the start line and the first header field.
                throw .malformedHeaderLine(
                    line: number,
                    reason: "whitespace between the start line and the first header field"
                )
            }
            throw .obsoleteLineFolding(line: number)
        }
        // Control characters are never allowed, in the name or the value (HTAB only in the value,
        // where the token check below rejects it from the name).
        if let invalid = line.first(where: { !HTTPHeadSyntax.isFieldValueByte($0) }) {
            throw .invalidCharacter(line: number, byte: invalid)
        }
        guard let colon = line.firstIndex(of: HTTPHeadSyntax.colon) else {
            throw .malformedHeaderLine(line: number, reason: "there is no colon after the field name")
        }
        guard colon > 0 else {
            throw .malformedHeaderLine(line: number, reason: "the field name is empty")
        }
        if HTTPHeadSyntax.isWhitespace(line[colon - 1]) {
            throw .whitespaceBeforeColon(line: number)
        }
        let name = line[..<colon]
        if let invalid = name.first(where: { !HTTPHeadSyntax.isTokenByte($0) }) {
            throw .invalidCharacter(line: number, byte: invalid)
        }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd && HTTPHeadSyntax.isWhitespace(line[valueStart]) {
            valueStart += 1
        }
        while valueEnd > valueStart && HTTPHeadSyntax.isWhitespace(line[valueEnd - 1]) {
            valueEnd -= 1
        }
        let value = line[valueStart..<valueEnd]
        return HeaderField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    // MARK: State

    private enum State {
        case parsing
        case finished(Result)
        case failed(HTTPParseError)
    }
}

extension HTTPHeadParser.Result {
    /// The same result, with no byte of the input consumed (for calls after completion).
    fileprivate var withNothingConsumed: Self {
        switch self {
        case .needMoreData:
            return .needMoreData
        case .request(let request, _):
            return .request(request, consumed: 0)
        case .response(let response, _):
            return .response(response, consumed: 0)
        }
    }
}
