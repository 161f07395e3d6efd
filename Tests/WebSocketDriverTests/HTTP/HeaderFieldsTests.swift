import Testing

@testable import WebSocketDriver

@Suite("HeaderFields")
struct HeaderFieldsTests {
    @Test("Initialisers keep order, case and duplicates")
    func initialisers() {
        #expect(HeaderFields().isEmpty)
        let fromArray = HeaderFields([("Host", "a"), ("X-Dup", "1"), ("x-dup", "2")])
        let fromLiteral: HeaderFields = ["Host": "a", "X-Dup": "1", "x-dup": "2"]
        #expect(fromArray == fromLiteral)
        #expect(fromArray.count == 3)
        #expect(fromArray.map(\.name) == ["Host", "X-Dup", "x-dup"])
        #expect(fromArray.map(\.value) == ["a", "1", "2"])
        #expect(fromArray[1] == HeaderField(name: "X-Dup", value: "1"))
        #expect(fromArray.startIndex == 0)
        #expect(fromArray.endIndex == 3)
        #expect(fromArray.last?.value == "2")
        #expect(Array(fromArray.reversed()).first?.name == "x-dup")
    }

    @Test("Equality is ordered and sees the case of names")
    func equality() {
        let base: HeaderFields = ["A": "1", "B": "2"]
        #expect(base == ["A": "1", "B": "2"])
        #expect(base != ["B": "2", "A": "1"])
        #expect(base != ["a": "1", "B": "2"])
        #expect(Set([base, ["A": "1", "B": "2"]]).count == 1)
    }

    @Test("Lookups ignore ASCII case")
    func lookup() {
        let headers: HeaderFields = ["Content-Type": "text/plain", "X-Multi": "a", "x-multi": "b, c", "X-MULTI": ""]
        #expect(headers.contains("content-type"))
        #expect(headers.contains("CONTENT-TYPE"))
        #expect(!headers.contains("Content-Length"))
        #expect(!headers.contains("Content-Typ"))
        #expect(headers["CONTENT-type"] == "text/plain")
        #expect(headers["x-multi"] == "a, b, c, ")
        #expect(headers["missing"] == nil)
        #expect(headers.values(for: "X-Multi") == ["a", "b, c", ""])
        #expect(headers.values(for: "missing").isEmpty)
        #expect(headers.first("x-MULTI") == "a")
        #expect(headers.first("missing") == nil)
    }

    @Test("Case folding is ASCII only")
    func asciiOnly() {
        let headers: HeaderFields = ["X-\u{C9}t\u{E9}": "1", "K": "2"]
        #expect(headers.contains("x-\u{C9}T\u{E9}"))
        #expect(!headers.contains("X-\u{E9}t\u{E9}"))
        // U+212A KELVIN SIGN is not an ASCII "K".
        #expect(!headers.contains("\u{212A}"))
    }

    @Test("An empty value is present, not absent")
    func emptyValue() {
        let headers: HeaderFields = ["X-Empty": ""]
        #expect(headers["x-empty"] == "")
        #expect(headers.contains("X-Empty"))
    }

    @Test("append adds at the end")
    func append() {
        var headers: HeaderFields = ["A": "1"]
        headers.append(name: "B", value: "2")
        headers.append(name: "a", value: "3")
        #expect(headers == ["A": "1", "B": "2", "a": "3"])
    }

    @Test("removeAll(named:) removes every field with that name, ignoring case")
    func removeAll() {
        var headers: HeaderFields = ["A": "1", "B": "2", "a": "3", "C": "4"]
        headers.removeAll(named: "A")
        #expect(headers == ["B": "2", "C": "4"])
        headers.removeAll(named: "missing")
        #expect(headers == ["B": "2", "C": "4"])
    }

    @Test("replaceOrAdd keeps the first position and drops the other duplicates")
    func replaceOrAdd() {
        var headers: HeaderFields = ["A": "1", "b": "2", "C": "3", "B": "4"]
        headers.replaceOrAdd(name: "B", value: "new")
        #expect(headers == ["A": "1", "B": "new", "C": "3"])
        headers.replaceOrAdd(name: "D", value: "5")
        #expect(headers == ["A": "1", "B": "new", "C": "3", "D": "5"])
        var empty = HeaderFields()
        empty.replaceOrAdd(name: "X", value: "y")
        #expect(empty == ["X": "y"])
    }

    @Test(
        "containsToken",
        arguments: [
            ("keep-alive, Upgrade", "upgrade", true),
            ("keep-alive,Upgrade", "upgrade", true),
            ("keep-alive,\tUpgrade", "upgrade", true),
            ("upgrade", "Upgrade", true),
            ("UPGRADE", "upgrade", true),
            (" \tUpgrade\t ", "upgrade", true),
            ("Upgrade, keep-alive", "UPGRADE", true),
            (", ,Upgrade,,", "upgrade", true),
            ("websocket, h2c", "websocket", true),
            ("websocket, h2c", "h2c", true),
            ("Upgradex", "upgrade", false),
            ("xUpgrade", "upgrade", false),
            ("Up grade", "upgrade", false),
            ("keep-alive", "upgrade", false),
            ("", "upgrade", false),
            (" , ", "", false),
            ("websocket; q=1", "websocket", false),
        ])
    func containsToken(value: String, token: String, expected: Bool) {
        let headers: HeaderFields = ["Connection": value]
        #expect(headers.containsToken(token, in: "connection") == expected)
    }

    @Test("containsToken looks at every field of that name and only at that name")
    func containsTokenAcrossFields() {
        let headers: HeaderFields = ["Connection": "keep-alive", "Upgrade": "websocket", "connection": "Upgrade"]
        #expect(headers.containsToken("upgrade", in: "Connection"))
        #expect(headers.containsToken("keep-alive", in: "CONNECTION"))
        #expect(!headers.containsToken("websocket", in: "Connection"))
        #expect(!headers.containsToken("upgrade", in: "Missing"))
    }

    @Test(
        "Valid names are RFC 7230 tokens",
        arguments: [
            ("Sec-WebSocket-Key", true),
            ("x", true),
            ("!#$%&'*+-.^_`|~0123456789azAZ", true),
            ("", false),
            ("Bad Name", false),
            ("Bad:Name", false),
            ("Bad\tName", false),
            ("(comment)", false),
            ("\"quoted\"", false),
            ("a/b", false),
            ("X\u{0}", false),
            ("X\r\nY", false),
            ("\u{C9}t\u{E9}", false),
        ])
    func validName(name: String, valid: Bool) {
        #expect(HeaderFields.isValidName(name) == valid)
    }

    @Test(
        "Valid values have no control characters but HTAB",
        arguments: [
            ("", true),
            ("websocket", true),
            ("a\tb", true),
            ("caf\u{E9} \u{1F600}", true),
            (" leading and trailing ", true),
            ("a\r\nInjected: yes", false),
            ("a\nb", false),
            ("a\rb", false),
            ("a\u{0}b", false),
            ("\u{7F}", false),
            ("\u{1B}[31m", false),
            ("\u{1F}", false),
        ])
    func validValue(value: String, valid: Bool) {
        #expect(HeaderFields.isValidValue(value) == valid)
    }
}
