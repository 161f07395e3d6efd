import Testing

@testable import WebSocketDriver

@Suite("HTTPParseError")
struct HTTPParseErrorTests {
    private static let all: [HTTPParseError] = [
        .headTooLarge(limit: 16_384),
        .tooManyHeaders(limit: 100),
        .malformedStartLine(reason: "the method is empty"),
        .unsupportedVersion("HTTP/2.0"),
        .malformedHeaderLine(line: 3, reason: "the field name is empty"),
        .obsoleteLineFolding(line: 4),
        .whitespaceBeforeColon(line: 2),
        .invalidCharacter(line: 5, byte: 0x0D),
    ]

    @Test("Suggested status codes: 431 for limits, 505 for the version, 400 otherwise")
    func suggestedStatus() {
        #expect(Self.all.map(\.suggestedStatus) == [431, 431, 400, 505, 400, 400, 400, 400])
    }

    @Test("Descriptions name the problem and its details")
    func descriptions() {
        let descriptions = Self.all.map(\.description)
        #expect(Set(descriptions).count == descriptions.count)
        #expect(descriptions[0] == "HTTP head too large: it exceeds the limit of 16384 bytes")
        #expect(descriptions[1] == "Too many HTTP header fields: the limit is 100")
        #expect(descriptions[2] == "Malformed HTTP start line: the method is empty")
        #expect(descriptions[3] == "Unsupported HTTP version HTTP/2.0: only HTTP/1.0 and HTTP/1.1 are supported")
        #expect(descriptions[4] == "Malformed HTTP header field on line 3: the field name is empty")
        #expect(
            descriptions[5] == "Obsolete line folding on line 4: a header line may not start with a space or tab"
        )
        #expect(descriptions[6] == "Whitespace between the header field name and the colon on line 2")
        #expect(descriptions[7] == "Invalid byte 0x0D on line 5 of the HTTP head")
        #expect(HTTPParseError.invalidCharacter(line: 1, byte: 0x7F).description.contains("0x7F"))
        #expect(HTTPParseError.invalidCharacter(line: 1, byte: 0).description.contains("0x00"))
        #expect(HTTPParseError.invalidCharacter(line: 1, byte: 0xC3).description.contains("0xC3"))
    }
}
