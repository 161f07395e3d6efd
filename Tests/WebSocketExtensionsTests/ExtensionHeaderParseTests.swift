import Testing

@testable import WebSocketExtensions

/// The cases of the Ruby gem's `parser_spec.rb` (parsing half), in our API.
@Suite("ExtensionHeader.parse: Ruby parser spec")
struct ExtensionHeaderRubyParseTests {
    @Test("an empty header gives no offers")
    func emptyHeader() throws {
        #expect(try ExtensionHeader.parse("") == [])
    }

    @Test("a missing header gives no offers")
    func missingHeader() throws {
        #expect(try ExtensionHeader.parse(nil) == [])
    }

    @Test("a trailing comma is rejected")
    func trailingComma() {
        #expect(throws: ExtensionHeaderError.self) { try ExtensionHeader.parse("a,") }
    }

    @Test("a single name gives one offer without parameters")
    func singleName() throws {
        #expect(try ExtensionHeader.parse("a") == [ExtensionOffer(name: "a")])
    }

    @Test("two names give two offers")
    func twoNames() throws {
        #expect(try ExtensionHeader.parse("a, b") == [ExtensionOffer(name: "a"), ExtensionOffer(name: "b")])
    }

    @Test("a repeated name gives two separate offers")
    func repeatedName() throws {
        #expect(try ExtensionHeader.parse("a, a") == [ExtensionOffer(name: "a"), ExtensionOffer(name: "a")])
    }

    @Test("a parameter without a value is a flag")
    func flagParameter() throws {
        let offers = try ExtensionHeader.parse("a; b")
        #expect(offers == [ExtensionOffer(name: "a", parameters: [flag("b")])])
        #expect(offers.first?.parameters.first?.isFlag == true)
    }

    @Test("an unquoted number is kept as its text and reads as an integer")
    func unquotedNumber() throws {
        let offers = try ExtensionHeader.parse("a; b=1")
        #expect(offers == [ExtensionOffer(name: "a", parameters: [param("b", "1")])])
        #expect(offers.first?.parameters.first?.integerValue == 1)
    }

    @Test("a quoted string may contain a comma, a space and an escaped quote")
    func quotedString() throws {
        let offers = try ExtensionHeader.parse(#"a; b="hi, \"there""#)
        #expect(offers == [ExtensionOffer(name: "a", parameters: [param("b", #"hi, "there"#)])])
    }

    @Test("flags, numbers and strings mix in one offer")
    func mixedParameters() throws {
        let offers = try ExtensionHeader.parse(#"a; b; c=1; d="hi""#)
        #expect(offers == [ExtensionOffer(name: "a", parameters: [flag("b"), param("c", "1"), param("d", "hi")])])
    }

    @Test("a repeated parameter keeps every value in order")
    func repeatedParameter() throws {
        let offers = try ExtensionHeader.parse(#"a; b; c=1; b="hi""#)
        #expect(offers.count == 1)
        #expect(offers[0].parameters.values(for: "b") == [nil, "hi"])
        #expect(offers[0].parameters.values(for: "c") == ["1"])
        #expect(offers[0].parameters.repeatedNames == ["b"])
    }

    @Test("a complex list gives every offer in order")
    func complexList() throws {
        let offers = try ExtensionHeader.parse(#"a; b=1, c, b; d, c; e="hi, there"; e, a; b"#)
        #expect(
            offers == [
                ExtensionOffer(name: "a", parameters: [param("b", "1")]),
                ExtensionOffer(name: "c"),
                ExtensionOffer(name: "b", parameters: [flag("d")]),
                ExtensionOffer(name: "c", parameters: [param("e", "hi, there"), flag("e")]),
                ExtensionOffer(name: "a", parameters: [flag("b")]),
            ]
        )
        #expect(offers[3].parameters.values(for: "e") == ["hi, there", nil])
    }

    @Test("an unclosed quoted string of many \\a pairs is rejected (ReDoS regression)")
    func unclosedEscapes() {
        let header = #"foo; bar="fooa"# + String(repeating: #"\a"#, count: 30)
        let failure = parseFailure(header)
        #expect(failure?.position == header.utf8.count)
        #expect(failure?.expected == "the closing quote of a quoted-string")
    }
}

/// The accepted and rejected inputs of P-EXT-GRAMMAR, adapted to the intentional differences.
@Suite("ExtensionHeader.parse: grammar")
struct ExtensionHeaderGrammarTests {
    @Test(
        "accepted headers",
        arguments: [
            ("a;b", [ExtensionOffer(name: "a", parameters: [flag("b")])]),
            ("a ;b", [ExtensionOffer(name: "a", parameters: [flag("b")])]),
            (
                "a;  b=1 ,  c",
                [ExtensionOffer(name: "a", parameters: [param("b", "1")]), ExtensionOffer(name: "c")]
            ),
            ("A; B=C", [ExtensionOffer(name: "A", parameters: [param("B", "C")])]),
            (#"a; b="é""#, [ExtensionOffer(name: "a", parameters: [param("b", "é")])]),
            ("a; b=x; b=1", [ExtensionOffer(name: "a", parameters: [param("b", "x"), param("b", "1")])]),
            ("a;b;b;b", [ExtensionOffer(name: "a", parameters: [flag("b"), flag("b"), flag("b")])]),
            (
                "permessage-deflate; client_max_window_bits",
                [ExtensionOffer(name: "permessage-deflate", parameters: [flag("client_max_window_bits")])]
            ),
            (
                "!#$%&'*+-.^_`|~09azAZ; !#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~09azAZ",
                [
                    ExtensionOffer(
                        name: "!#$%&'*+-.^_`|~09azAZ",
                        parameters: [param("!#$%&'*+-.^_`|~09azAZ", "!#$%&'*+-.^_`|~09azAZ")]
                    )
                ]
            ),
            (#"a; b="""#, [ExtensionOffer(name: "a", parameters: [param("b", "")])]),
            ("a; b=\"x\ty\"", [ExtensionOffer(name: "a", parameters: [param("b", "x\ty")])]),
            (#"a; b="\é""#, [ExtensionOffer(name: "a", parameters: [param("b", "é")])]),
            (#"a; b="日本\語""#, [ExtensionOffer(name: "a", parameters: [param("b", "日本語")])]),
            (#"a; b="a=b;c,d""#, [ExtensionOffer(name: "a", parameters: [param("b", "a=b;c,d")])]),
        ]
    )
    func accepted(header: String, expected: [ExtensionOffer]) throws {
        #expect(try ExtensionHeader.parse(header) == expected)
    }

    @Test(
        "rejected headers, with the position of the first offending byte",
        arguments: [
            ("a,", 2, "an extension name (token)"),
            ("a, ", 3, "an extension name (token)"),
            ("a,,b", 2, "an extension name (token)"),
            (",a", 0, "an extension name (token)"),
            ("a, ;b", 3, "an extension name (token)"),
            ("é", 0, "an extension name (token)"),
            ("a; b = 1", 5, #"",", ";" or the end of the header"#),
            ("a; b= 1", 5, "a token or quoted-string value"),
            ("a; b =1", 5, #"",", ";" or the end of the header"#),
            ("a; b=", 5, "a parameter value"),
            (#"a; b=""#, 6, "the closing quote of a quoted-string"),
            (#"a; b="x\"#, 8, #"an escaped character after "\""#),
            ("x-webkit- -frame", 10, #"",", ";" or the end of the header"#),
            ("a;", 2, "a parameter name (token)"),
            ("a; ", 3, "a parameter name (token)"),
            (";a", 0, "an extension name (token)"),
            ("a; =1", 3, "a parameter name (token)"),
            ("a; b==1", 5, "a token or quoted-string value"),
            ("a; b=é", 5, "a token or quoted-string value"),
            ("a=1", 1, #"",", ";" or the end of the header"#),
            ("a b", 2, #"",", ";" or the end of the header"#),
            (#"a; b=c"d""#, 6, #"",", ";" or the end of the header"#),
            (#"a; b="x"y"#, 8, #"",", ";" or the end of the header"#),
            (#"a; b="x" y"#, 9, #"",", ";" or the end of the header"#),
            ("a; b=\"x\ny\"", 7, "a quoted-string character or the closing quote"),
            ("a; b=\"x\u{0}y\"", 7, "a quoted-string character or the closing quote"),
            ("a; b=\"x\u{7F}y\"", 7, "a quoted-string character or the closing quote"),
            ("a; b=\"x\u{1F}y\"", 7, "a quoted-string character or the closing quote"),
            ("a; b=\"\\\n\"", 7, #"an escaped character after "\""#),
            ("a; b=\"\\\u{7F}\"", 7, #"an escaped character after "\""#),
            ("a; b=\"\\\u{0}\"", 7, #"an escaped character after "\""#),
            ("a;b=c;", 6, "a parameter name (token)"),
            ("a;;b", 2, "a parameter name (token)"),
            ("a,\u{0}", 2, "an extension name (token)"),
            ("a\u{B}", 1, #"",", ";" or the end of the header"#),
        ]
    )
    func rejected(header: String, position: Int, expected: String) {
        let failure = parseFailure(header)
        #expect(failure?.position == position)
        #expect(failure?.expected == expected)
    }

    @Test("the error message names the header, the byte position and the expectation")
    func errorMessage() {
        #expect {
            try ExtensionHeader.parse("a; b = 1")
        } throws: { error in
            (error as? ExtensionHeaderError)?.description
                == #"Invalid Sec-WebSocket-Extensions header: a; b = 1 (at byte 5: expected ",", ";" or the end of the header)"#
        }
    }

    @Test("the error carries the whole header as its excerpt when it is short")
    func shortExcerpt() {
        #expect(
            throws: ExtensionHeaderError.malformed(excerpt: "a,", position: 2, expected: "an extension name (token)")
        ) {
            try ExtensionHeader.parse("a,")
        }
    }

    @Test("the excerpt of a long header is cut to 120 bytes")
    func longExcerpt() {
        let header = "a; b=\"" + String(repeating: "x", count: 500)
        let expected = ExtensionHeaderError.malformed(
            excerpt: String(header.prefix(120)) + "...",
            position: header.utf8.count,
            expected: "the closing quote of a quoted-string"
        )
        #expect(throws: expected) { try ExtensionHeader.parse(header) }
    }

    @Test("a header of exactly 120 bytes is quoted whole")
    func excerptLimit() {
        let header = String(repeating: "a", count: 119) + ","
        #expect(
            throws: ExtensionHeaderError.malformed(
                excerpt: header, position: 120, expected: "an extension name (token)")
        ) {
            try ExtensionHeader.parse(header)
        }
    }

    @Test("a long excerpt is not cut through a multi-byte character")
    func excerptCharacterBoundary() {
        // `a; b="x` and 56 "é" fill 119 bytes; the 57th "é" straddles the 120-byte limit.
        let header = #"a; b="x"# + String(repeating: "é", count: 100)
        let expected = ExtensionHeaderError.malformed(
            excerpt: #"a; b="x"# + String(repeating: "é", count: 56) + "...",
            position: header.utf8.count,
            expected: "the closing quote of a quoted-string"
        )
        #expect(throws: expected) { try ExtensionHeader.parse(header) }

        for padding in 0..<4 {
            for character in ["é", "日", "😀"] {
                let header =
                    String(repeating: "a", count: padding) + #"; b=""# + String(repeating: character, count: 100)
                #expect {
                    try ExtensionHeader.parse(header)
                } throws: { error in
                    guard case .malformed(let excerpt, _, _) = error as? ExtensionHeaderError else { return false }
                    let kept = excerpt.dropLast(3)
                    return excerpt.hasSuffix("...") && header.hasPrefix(kept) && kept.utf8.count > 116
                        && kept.utf8.count <= 120
                }
            }
        }
    }

    @Test("names and values keep their case")
    func casePreserved() throws {
        let offer = try #require(try ExtensionHeader.parse("Foo; Bar=BAZ").first)
        #expect(offer.name == "Foo")
        #expect(offer.parameters.first == param("Bar", "BAZ"))
        #expect(!offer.parameters.contains("bar"))
    }

    @Test("positions count bytes, not characters")
    func bytePositions() {
        // "é" is two bytes, so the stray "=" after the quoted value is at byte 9, not 8.
        #expect(parseFailure(#"a; b="é"="#)?.position == 9)
        #expect(parseFailure(#"a; b="éé" x"#)?.position == 12)
    }
}

/// Where the parser deliberately differs from the Ruby gem.
@Suite("ExtensionHeader.parse: intentional differences from Ruby")
struct ExtensionHeaderDifferenceTests {
    @Test("tabs are optional white space around ; and ,")
    func tabsAreWhitespace() throws {
        #expect(try ExtensionHeader.parse("a;\tb") == [ExtensionOffer(name: "a", parameters: [flag("b")])])
        #expect(
            try ExtensionHeader.parse("a\t;\t b=1 \t,\t c")
                == [ExtensionOffer(name: "a", parameters: [param("b", "1")]), ExtensionOffer(name: "c")]
        )
    }

    @Test("white space around the whole value is ignored")
    func surroundingWhitespace() throws {
        #expect(try ExtensionHeader.parse(" a") == [ExtensionOffer(name: "a")])
        #expect(try ExtensionHeader.parse("a ") == [ExtensionOffer(name: "a")])
        #expect(try ExtensionHeader.parse(" \t a; b \t ") == [ExtensionOffer(name: "a", parameters: [flag("b")])])
    }

    @Test("a value of only white space gives no offers", arguments: [" ", "\t", " \t  "])
    func onlyWhitespace(header: String) throws {
        #expect(try ExtensionHeader.parse(header) == [])
    }

    @Test(
        "quoted-pair escapes are decoded, so an escaped backslash survives",
        arguments: [
            (#""x\\y""#, #"x\y"#),
            (#""\\""#, #"\"#),
            (#""\a""#, "a"),
            (#""a\"b""#, #"a"b"#),
            (#""\"\"""#, #""""#),
            (#""\\\"""#, #"\""#),
            (#""\ ""#, " "),
        ]
    )
    func escapesDecoded(quoted: String, value: String) throws {
        let offers = try ExtensionHeader.parse("a; b=" + quoted)
        #expect(offers == [ExtensionOffer(name: "a", parameters: [param("b", value)])])
    }

    @Test(
        "text after an embedded line break is rejected, not ignored",
        arguments: [("a\nb", 1), ("a\n", 1), ("a\r\nb", 1), ("a; b\nc", 4), ("a\r", 1), ("a, b\n c", 4)]
    )
    func embeddedLineBreak(header: String, position: Int) {
        #expect(parseFailure(header)?.position == position)
    }

    @Test("quoted numbers stay strings; integerValue reads canonical decimals only")
    func valuesStayStrings() throws {
        let offer = try #require(try ExtensionHeader.parse(#"a; b="15"; c=015; d=1.5; e=1e5; f=-3; g="0""#).first)
        #expect(offer.parameters.values(for: "b") == ["15"])
        #expect(offer.parameters.first(named: "b")?.integerValue == 15)
        #expect(offer.parameters.first(named: "c")?.integerValue == nil)
        #expect(offer.parameters.first(named: "c")?.value == "015")
        #expect(offer.parameters.first(named: "d")?.integerValue == nil)
        #expect(offer.parameters.first(named: "d")?.value == "1.5")
        #expect(offer.parameters.first(named: "e")?.integerValue == nil)
        #expect(offer.parameters.first(named: "f")?.integerValue == -3)
        #expect(offer.parameters.first(named: "g")?.integerValue == 0)
    }
}
