import Testing

@testable import WebSocketExtensions

/// The cases of the Ruby gem's `parser_spec.rb` (serialization half), in our API.
@Suite("ExtensionHeader.serialize: Ruby parser spec")
struct ExtensionHeaderRubySerializeTests {
    @Test("an offer without parameters is its name")
    func nameOnly() throws {
        #expect(try ExtensionHeader.serialize([ExtensionOffer(name: "a")]) == "a")
    }

    @Test("a flag is written bare")
    func flagParameter() throws {
        #expect(try ExtensionHeader.serialize([ExtensionOffer(name: "a", parameters: [flag("b")])]) == "a; b")
    }

    @Test("an integer is written as its decimal digits")
    func integerParameter() throws {
        let offer = ExtensionOffer(name: "a", parameters: [ExtensionParameter("b", value: 42)])
        #expect(try ExtensionHeader.serialize([offer]) == "a; b=42")
    }

    @Test("a value with a space or comma is quoted")
    func quotedParameter() throws {
        let offer = ExtensionOffer(name: "a", parameters: [param("b", "hi, there")])
        #expect(try ExtensionHeader.serialize([offer]) == #"a; b="hi, there""#)
    }

    @Test("several parameters are joined with \"; \"")
    func severalParameters() throws {
        let offer = ExtensionOffer(name: "a", parameters: [flag("b"), param("c", "1"), param("d", "hi")])
        #expect(try ExtensionHeader.serialize([offer]) == "a; b; c=1; d=hi")
    }

    @Test("a repeated parameter is written once per value")
    func repeatedParameter() throws {
        let offer = ExtensionOffer(name: "a", parameters: [flag("b"), param("b", "hi"), param("c", "1")])
        #expect(try ExtensionHeader.serialize([offer]) == "a; b; b=hi; c=1")
    }
}

@Suite("ExtensionHeader.serialize")
struct ExtensionHeaderSerializeTests {
    @Test("no offers give an empty value")
    func empty() throws {
        #expect(try ExtensionHeader.serialize([]) == "")
    }

    @Test("offers are joined with \", \" in order")
    func severalOffers() throws {
        let offers = [
            ExtensionOffer(name: "deflate", parameters: [param("mode", "compress")]),
            ExtensionOffer(name: "deflate"),
            ExtensionOffer(name: "reverse", parameters: [flag("utf8")]),
        ]
        #expect(try ExtensionHeader.serialize(offers) == "deflate; mode=compress, deflate, reverse; utf8")
    }

    @Test("parameters keep their order (the Ruby gem sorts them)")
    func orderKept() throws {
        let offer = ExtensionOffer(name: "x", parameters: [param("z", "1"), flag("b"), param("a", "2"), flag("b")])
        #expect(try ExtensionHeader.serialize([offer]) == "x; z=1; b; a=2; b")
    }

    @Test("quotes and backslashes are escaped inside a quoted value (the Ruby gem leaves backslashes)")
    func escaping() throws {
        let offer = ExtensionOffer(
            name: "x",
            parameters: [
                param("a", "1.5"), param("b", #"a"b"#), param("c", "1"), flag("c"), param("c", "q r"),
                param("d", #"x\y"#),
            ]
        )
        #expect(try ExtensionHeader.serialize([offer]) == #"x; a=1.5; b="a\"b"; c=1; c; c="q r"; d="x\\y""#)
    }

    @Test(
        "values that are not tokens are quoted",
        arguments: [
            ("", #""""#),
            ("é", #""é""#),
            ("a\tb", "\"a\tb\""),
            ("a=b", #""a=b""#),
            ("a;b", #""a;b""#),
            ("(x)", #""(x)""#),
            (#"\"#, #""\\""#),
            (#"""#, #""\"""#),
            ("{}", #""{}""#),
            ("a/b", #""a/b""#),
            ("😀", #""😀""#),
        ]
    )
    func quotedWhenNeeded(value: String, written: String) throws {
        let offer = ExtensionOffer(name: "a", parameters: [param("b", value)])
        #expect(try ExtensionHeader.serialize([offer]) == "a; b=" + written)
    }

    @Test("token values are written bare", arguments: ["1", "-1", "015", "1.5", "x", "!#$%&'*+-.^_`|~"])
    func tokenValuesBare(value: String) throws {
        let offer = ExtensionOffer(name: "a", parameters: [param("b", value)])
        #expect(try ExtensionHeader.serialize([offer]) == "a; b=" + value)
    }

    @Test(
        "an extension name that is not a token is refused",
        arguments: ["", "a b", "a,b", "a;b", "a=b", "é", "a\"", "a\n"])
    func invalidExtensionName(name: String) {
        #expect(throws: ExtensionHeaderError.invalidName(name)) {
            try ExtensionHeader.serialize([ExtensionOffer(name: "ok"), ExtensionOffer(name: name)])
        }
    }

    @Test("a parameter name that is not a token is refused", arguments: ["", "a b", "x=y", "ü", "a\t"])
    func invalidParameterName(name: String) {
        let offer = ExtensionOffer(name: "a", parameters: [flag("ok"), param(name, "1")])
        #expect(throws: ExtensionHeaderError.invalidName(name)) { try ExtensionHeader.serialize([offer]) }
        #expect(throws: ExtensionHeaderError.invalidName(name)) { try ExtensionHeader.validate(offer) }
    }

    @Test(
        "a value with a control character other than tab is refused",
        arguments: ["\u{0}", "a\nb", "a\rb", "\r\n", "\u{7F}", "\u{1B}[0m", "x\u{1F}"]
    )
    func invalidValue(value: String) {
        let offer = ExtensionOffer(name: "a", parameters: [param("b", value)])
        #expect(throws: ExtensionHeaderError.invalidValue(parameter: "b", value: value)) {
            try ExtensionHeader.serialize([offer])
        }
    }

    @Test("validate accepts what serialize writes")
    func validateAccepts() throws {
        try ExtensionHeader.validate(ExtensionOffer(name: "a", parameters: [flag("b"), param("c", "x\ty\"\\é")]))
    }

    @Test("serialization error messages")
    func errorMessages() {
        #expect(
            ExtensionHeaderError.invalidName("a b").description
                == #"Invalid Sec-WebSocket-Extensions name: "a b" is not a token"#
        )
        #expect(
            ExtensionHeaderError.invalidValue(parameter: "b", value: "x\ny").description
                == #"Invalid Sec-WebSocket-Extensions value for b: "x\ny" contains a control character"#
        )
    }

    @Test("descriptions of offers and parameters are their serialized form")
    func descriptions() {
        let parameters: ExtensionParameters = [flag("b"), param("c", "x y"), ExtensionParameter("d", value: 15)]
        #expect(parameters.description == #"b; c="x y"; d=15"#)
        #expect(ExtensionParameters().description == "")
        #expect(ExtensionOffer(name: "a", parameters: parameters).description == #"a; b; c="x y"; d=15"#)
        #expect(ExtensionOffer(name: "a").description == "a")
        #expect(param("c", #"\"#).description == #"c="\\""#)
        #expect(flag("c").description == "c")
    }
}
