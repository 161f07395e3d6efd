@testable import WebSocketDriver

extension HTTPHeadParser {
    /// What feeding a whole message produced, independent of how the message was split.
    enum TestOutcome: Equatable {
        /// Every chunk was fed and the head is still not complete.
        case incomplete
        /// A request head, which took the first `headLength` bytes of the message.
        case request(IncomingRequest, headLength: Int)
        /// A response head, which took the first `headLength` bytes of the message.
        case response(HandshakeResponse, headLength: Int)
        /// The parser threw.
        case failure(HTTPParseError)
    }

    /// Feeds `bytes` as one input.
    mutating func testParse(_ bytes: [UInt8]) throws(HTTPParseError) -> Result {
        try bytes.withUnsafeBytes { buffer in
            Swift.Result { () throws(HTTPParseError) in try parse(buffer) }
        }.get()
    }

    /// Parses `text` given as one input to a new parser.
    static func testParse(
        _ text: String,
        kind: Kind = .request,
        limits: HTTPHeadLimits = .init()
    ) throws(HTTPParseError) -> Result {
        var parser = HTTPHeadParser(kind: kind, limits: limits)
        return try parser.testParse(Array(text.utf8))
    }

    /// Feeds `bytes` to a new parser in chunks cut at `offsets` (in any order; offsets outside
    /// the message are ignored, repeated ones give empty chunks), until the head is complete or
    /// the parser throws.
    static func testFeed(
        _ bytes: [UInt8],
        splitAt offsets: [Int],
        kind: Kind = .request,
        limits: HTTPHeadLimits = .init()
    ) -> TestOutcome {
        var parser = HTTPHeadParser(kind: kind, limits: limits)
        var start = 0
        for end in offsets.filter({ $0 > 0 && $0 < bytes.count }).sorted() + [bytes.count] {
            do throws(HTTPParseError) {
                switch try parser.testParse(Array(bytes[start..<end])) {
                case .needMoreData:
                    break
                case .request(let request, let consumed):
                    return .request(request, headLength: start + consumed)
                case .response(let response, let consumed):
                    return .response(response, headLength: start + consumed)
                }
            } catch {
                return .failure(error)
            }
            start = end
        }
        return .incomplete
    }

    /// Feeds `bytes` to a new parser one byte at a time.
    static func testFeedByteByByte(
        _ bytes: [UInt8],
        kind: Kind = .request,
        limits: HTTPHeadLimits = .init()
    ) -> TestOutcome {
        testFeed(bytes, splitAt: Array(bytes.indices), kind: kind, limits: limits)
    }
}

/// The reasons the parser gives for a malformed start line or header line.
enum HTTPHeadParserReason {
    static let requestLineShape = "expected \"method SP request-target SP HTTP-version\""
    static let emptyMethod = "the method is empty"
    static let methodNotToken = "the method is not a token"
    static let missingVersion = "the HTTP version is missing"
    static let emptyTarget = "the request-target is empty"
    static let badVersion = "expected an HTTP version such as \"HTTP/1.1\""
    static let emptyStatusLine = "the status line is empty"
    static let missingStatus = "the status code is missing"
    static let badStatus = "the status code is not three digits"
    static let missingColon = "there is no colon after the field name"
    static let emptyName = "the field name is empty"
    static let leadingWhitespace = "whitespace between the start line and the first header field"
}
