import FayeTestSupport
import Testing

@testable import WebSocketDriver

@Suite("HTTP head parser: incremental input")
struct HTTPHeadParserIncrementalTests {
    /// Messages that parse, with the kind of head they hold.
    private static let validMessages: [(String, HTTPHeadParser.Kind)] = [
        (
            "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", .request
        ),
        ("\r\n\nGET / HTTP/1.0\nHost: a\nX:  b  \n\n", .request),
        ("GET / HTTP/1.1\r\n\r\n", .request),
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", .response
        ),
        ("HTTP/1.1 101\nUpgrade: websocket\n\n", .response),
    ]

    /// Messages that fail, whatever the splits.
    private static let invalidMessages: [(String, HTTPHeadParser.Kind)] = [
        ("GET / HTTP/2.0\r\n\r\n", .request),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .request),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", .request),
        ("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", .request),
        ("HTTP/1.1 20 OK\r\n\r\n", .response),
        ("HTTP/1.1 101 OK\r\nNo colon\r\n\r\n", .response),
    ]

    /// Bytes that follow the head in the same stream (a masked text frame "Hello").
    private static let trailer: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

    @Test("One byte at a time gives the same result as one chunk")
    func byteByByte() {
        for (text, kind) in Self.validMessages + Self.invalidMessages {
            let bytes = Array(text.utf8) + Self.trailer
            let whole = HTTPHeadParser.testFeed(bytes, splitAt: [], kind: kind)
            #expect(HTTPHeadParser.testFeedByteByByte(bytes, kind: kind) == whole)
        }
    }

    @Test("Random splits give the same result as one chunk (seeded)")
    func randomSplits() {
        var generator = SplitMix64(seed: 7230)
        for (text, kind) in Self.validMessages + Self.invalidMessages {
            let bytes = Array(text.utf8) + Self.trailer
            let whole = HTTPHeadParser.testFeed(bytes, splitAt: [], kind: kind)
            for _ in 0..<100 {
                let cuts = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
                    Int.random(in: 0...bytes.count, using: &generator)
                }
                #expect(HTTPHeadParser.testFeed(bytes, splitAt: cuts, kind: kind) == whole, "cuts: \(cuts)")
            }
        }
    }

    @Test("Valid heads complete with the right head length")
    func headLength() {
        for (text, kind) in Self.validMessages {
            let bytes = Array(text.utf8) + Self.trailer
            switch HTTPHeadParser.testFeed(bytes, splitAt: [], kind: kind) {
            case .request(_, let length), .response(_, let length):
                #expect(length == text.utf8.count)
            case .incomplete, .failure:
                Issue.record("\(text.debugDescription) did not parse")
            }
        }
    }

    @Test("Every split point, including between CR and LF")
    func everySplitPoint() {
        let (text, kind) = Self.validMessages[0]
        let bytes = Array(text.utf8) + Self.trailer
        let whole = HTTPHeadParser.testFeed(bytes, splitAt: [], kind: kind)
        for cut in 0...bytes.count {
            #expect(HTTPHeadParser.testFeed(bytes, splitAt: [cut], kind: kind) == whole)
            #expect(HTTPHeadParser.testFeed(bytes, splitAt: [cut, cut, cut + 1], kind: kind) == whole)
        }
    }

    @Test("The head ends exactly at a chunk boundary")
    func endsAtChunkBoundary() throws {
        let head = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        var parser = HTTPHeadParser(kind: .request)
        #expect(try parser.testParse(Array(head[..<10])) == .needMoreData)
        let expected = IncomingRequest(method: "GET", target: "/", headers: ["Host": "a"])
        #expect(try parser.testParse(Array(head[10...])) == .request(expected, consumed: head.count - 10))
    }

    @Test("The head ends inside a chunk that carries more bytes")
    func endsInsideChunk() throws {
        let head = Array("GET / HTTP/1.1\r\nHost: a\r\n\r".utf8)
        var parser = HTTPHeadParser(kind: .request)
        #expect(try parser.testParse(head) == .needMoreData)
        // Only the final LF belongs to the head.
        let expected = IncomingRequest(method: "GET", target: "/", headers: ["Host": "a"])
        #expect(try parser.testParse([0x0A] + Self.trailer) == .request(expected, consumed: 1))
    }

    @Test("Empty inputs are accepted at any point")
    func emptyInputs() throws {
        var parser = HTTPHeadParser(kind: .response)
        #expect(try parser.testParse([]) == .needMoreData)
        #expect(try parser.testParse(Array("HTTP/1.1 101 OK\r\n".utf8)) == .needMoreData)
        #expect(try parser.testParse([]) == .needMoreData)
        let result = try parser.testParse(Array("\r\n".utf8))
        #expect(result == .response(HandshakeResponse(status: 101, reason: "OK", headers: [:]), consumed: 2))
    }

    @Test("Errors are reported as soon as the offending line is complete")
    func earlyErrors() throws {
        var parser = HTTPHeadParser(kind: .request)
        #expect(throws: HTTPParseError.unsupportedVersion("HTTP/3.0")) {
            try parser.testParse(Array("GET / HTTP/3.0\r\n".utf8))
        }
        var second = HTTPHeadParser(kind: .request)
        #expect(try second.testParse(Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)) == .needMoreData)
        #expect(throws: HTTPParseError.whitespaceBeforeColon(line: 3)) {
            try second.testParse(Array("Origin : b\n".utf8))
        }
    }

    @Test("After completion a further call returns the same head with nothing consumed")
    func callAfterCompletion() throws {
        var parser = HTTPHeadParser(kind: .request)
        let expected = IncomingRequest(method: "GET", target: "/", headers: [:])
        #expect(try parser.testParse(Array("GET / HTTP/1.1\r\n\r\nrest".utf8)) == .request(expected, consumed: 18))
        #expect(try parser.testParse(Array("more".utf8)) == .request(expected, consumed: 0))
        #expect(try parser.testParse([]) == .request(expected, consumed: 0))

        var client = HTTPHeadParser(kind: .response)
        let response = HandshakeResponse(status: 101, reason: "", headers: [:])
        #expect(try client.testParse(Array("HTTP/1.1 101\r\n\r\n".utf8)) == .response(response, consumed: 16))
        #expect(try client.testParse([1, 2, 3]) == .response(response, consumed: 0))
    }

    @Test("After an error every further call throws the same error")
    func callAfterError() {
        var parser = HTTPHeadParser(kind: .request)
        let error = HTTPParseError.obsoleteLineFolding(line: 3)
        #expect(throws: error) { try parser.testParse(Array("GET / HTTP/1.1\r\nA: b\r\n c\r\n".utf8)) }
        #expect(throws: error) { try parser.testParse(Array("\r\n".utf8)) }
        #expect(throws: error) { try parser.testParse([]) }
    }
}
