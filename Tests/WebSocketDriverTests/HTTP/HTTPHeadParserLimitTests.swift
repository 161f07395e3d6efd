import Testing

@testable import WebSocketDriver

@Suite("HTTP head parser: limits")
struct HTTPHeadParserLimitTests {
    /// A request head of exactly `length` bytes (at least 24), line endings included.
    private static func head(length: Int, lineEnding: String = "\r\n") -> [UInt8] {
        let start = "GET / HTTP/1.1" + lineEnding + "X: "
        let end = lineEnding + lineEnding
        let padding = length - start.utf8.count - end.utf8.count
        return Array((start + String(repeating: "a", count: padding) + end).utf8)
    }

    @Test("Default limits")
    func defaults() {
        let limits = HTTPHeadLimits()
        #expect(limits.maxHeadLength == 16_384)
        #expect(limits.maxHeaderCount == 100)
        #expect(HTTPHeadParser(kind: .request).limits == limits)
        #expect(HTTPHeadLimits(maxHeadLength: 10) == HTTPHeadLimits(maxHeadLength: 10, maxHeaderCount: 100))
    }

    @Test("A head exactly at the length limit passes, in any split, followed by any bytes")
    func exactlyAtLimit() {
        for lineEnding in ["\r\n", "\n"] {
            let head = Self.head(length: 200, lineEnding: lineEnding)
            #expect(head.count == 200)
            let limits = HTTPHeadLimits(maxHeadLength: 200)
            let bytes = head + [UInt8](repeating: 0x42, count: 1000)
            let outcome = HTTPHeadParser.testFeed(bytes, splitAt: [], limits: limits)
            guard case .request(let request, let headLength) = outcome else {
                Issue.record("expected a request, got \(outcome)")
                continue
            }
            #expect(headLength == 200)
            #expect(request.headers["x"] == String(repeating: "a", count: 200 - 17 - 3 * lineEnding.utf8.count))
            #expect(HTTPHeadParser.testFeedByteByByte(bytes, limits: limits) == outcome)
            #expect(HTTPHeadParser.testFeed(bytes, splitAt: [199], limits: limits) == outcome)
            #expect(HTTPHeadParser.testFeed(bytes, splitAt: [200], limits: limits) == outcome)
        }
    }

    @Test("One byte over the length limit fails with 431, as soon as the limit is reached")
    func oneByteOver() throws {
        let head = Self.head(length: 200)
        let limits = HTTPHeadLimits(maxHeadLength: 199)
        let error = HTTPParseError.headTooLarge(limit: 199)
        #expect(error.suggestedStatus == 431)
        #expect(HTTPHeadParser.testFeed(head, splitAt: [], limits: limits) == .failure(error))
        #expect(HTTPHeadParser.testFeedByteByByte(head, limits: limits) == .failure(error))

        // Byte by byte, the error comes with the 199th byte: the head cannot end there.
        var parser = HTTPHeadParser(kind: .request, limits: limits)
        for byte in head[..<198] {
            #expect(try parser.testParse([byte]) == .needMoreData)
        }
        #expect(throws: error) { try parser.testParse([head[198]]) }
    }

    @Test("A line that completes exactly at the limit without ending the head fails")
    func lineEndsAtLimit() {
        let text = Array("GET / HTTP/1.1\r\nX: a\r\n".utf8)
        let limits = HTTPHeadLimits(maxHeadLength: text.count)
        #expect(
            HTTPHeadParser.testFeed(text + [0x0D, 0x0A], splitAt: [], limits: limits)
                == .failure(.headTooLarge(limit: text.count)))
        var parser = HTTPHeadParser(kind: .request, limits: limits)
        #expect(throws: HTTPParseError.headTooLarge(limit: text.count)) { try parser.testParse(text) }
    }

    @Test("A 1 MiB header line fails once the limit is crossed, without waiting for the rest")
    func hugeHeaderLine() throws {
        let prefix = Array("GET / HTTP/1.1\r\nX-Huge: ".utf8)
        var parser = HTTPHeadParser(kind: .request)
        #expect(try parser.testParse(prefix) == .needMoreData)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        var fed = prefix.count
        var failedAfter: Int?
        for _ in 0..<256 {
            do throws(HTTPParseError) {
                _ = try parser.testParse(chunk)
                fed += chunk.count
            } catch {
                #expect(error == .headTooLarge(limit: 16_384))
                failedAfter = fed + chunk.count
                break
            }
        }
        let failedAt = try #require(failedAfter)
        #expect(failedAt >= 16_384)
        #expect(failedAt < 16_384 + chunk.count)

        // All in one input.
        let whole = prefix + [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20) + Array("\r\n\r\n".utf8)
        #expect(HTTPHeadParser.testFeed(whole, splitAt: [], kind: .request) == .failure(.headTooLarge(limit: 16_384)))
    }

    @Test("A request line without an end fails at the limit")
    func endlessRequestLine() {
        let bytes = Array("GET /".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 20_000)
        #expect(HTTPHeadParser.testFeed(bytes, splitAt: [3, 5000, 9000]) == .failure(.headTooLarge(limit: 16_384)))
    }

    @Test("Ignored empty lines before the request line count towards the limit")
    func leadingEmptyLinesCount() {
        let bytes = Array((String(repeating: "\r\n", count: 10) + "GET / HTTP/1.1\r\n\r\n").utf8)
        #expect(
            HTTPHeadParser.testFeed(bytes, splitAt: [], limits: .init(maxHeadLength: 38))
                != .failure(.headTooLarge(limit: 38)))
        #expect(
            HTTPHeadParser.testFeed(bytes, splitAt: [], limits: .init(maxHeadLength: 37))
                == .failure(.headTooLarge(limit: 37)))
        // Endless empty lines cannot keep the parser waiting forever.
        let empty = Array(String(repeating: "\r\n", count: 10_000).utf8)
        #expect(HTTPHeadParser.testFeed(empty, splitAt: [], limits: .init()) == .failure(.headTooLarge(limit: 16_384)))
    }

    @Test("The length limit applies to responses")
    func responseLimit() {
        let text = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8)
        let exact = HTTPHeadParser.testFeed(
            text, splitAt: [], kind: .response, limits: .init(maxHeadLength: text.count))
        #expect(
            exact
                == .response(
                    HandshakeResponse(status: 101, reason: "Switching Protocols", headers: ["Upgrade": "websocket"]),
                    headLength: text.count))
        let over = HTTPHeadParser.testFeed(
            text, splitAt: [], kind: .response, limits: .init(maxHeadLength: text.count - 1))
        #expect(over == .failure(.headTooLarge(limit: text.count - 1)))
    }

    @Test("A limit of zero or less rejects every head")
    func nonPositiveLimit() throws {
        for limit in [0, -1] {
            var parser = HTTPHeadParser(kind: .request, limits: .init(maxHeadLength: limit))
            #expect(try parser.testParse([]) == .needMoreData)
            #expect(throws: HTTPParseError.headTooLarge(limit: limit)) { try parser.testParse(Array("G".utf8)) }
        }
    }

    @Test("Header count: the default 100 passes, 101 fails with 431")
    func headerCount() {
        func message(headers count: Int) -> [UInt8] {
            Array(("GET / HTTP/1.1\r\n" + (0..<count).map { "X-\($0): v\r\n" }.joined() + "\r\n").utf8)
        }
        guard case .request(let request, _) = HTTPHeadParser.testFeed(message(headers: 100), splitAt: []) else {
            Issue.record("100 header fields should pass")
            return
        }
        #expect(request.headers.count == 100)
        let error = HTTPParseError.tooManyHeaders(limit: 100)
        #expect(error.suggestedStatus == 431)
        #expect(HTTPHeadParser.testFeed(message(headers: 101), splitAt: []) == .failure(error))
        #expect(HTTPHeadParser.testFeedByteByByte(message(headers: 101)) == .failure(error))
    }

    @Test("Custom header counts", arguments: [(2, 2, true), (2, 3, false), (0, 0, true), (0, 1, false)])
    func customHeaderCount(limit: Int, count: Int, passes: Bool) {
        let text = "HTTP/1.1 101 OK\r\n" + (0..<count).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        let outcome = HTTPHeadParser.testFeed(
            Array(text.utf8), splitAt: [], kind: .response, limits: .init(maxHeaderCount: limit))
        if passes {
            guard case .response(let response, _) = outcome else {
                Issue.record("expected a response, got \(outcome)")
                return
            }
            #expect(response.headers.count == count)
        } else {
            #expect(outcome == .failure(.tooManyHeaders(limit: limit)))
        }
    }
}
