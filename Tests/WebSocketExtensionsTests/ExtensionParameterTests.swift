import Testing

@testable import WebSocketExtensions

@Suite("ExtensionParameter and ExtensionParameters")
struct ExtensionParameterTests {
    @Test(
        "integerValue reads canonical decimals",
        arguments: [
            ("0", 0), ("1", 1), ("15", 15), ("-3", -3), ("-0", 0), ("9223372036854775807", Int.max),
            ("-9223372036854775808", Int.min),
        ]
    )
    func canonicalIntegers(text: String, value: Int) {
        #expect(param("x", text).integerValue == value)
    }

    @Test(
        "integerValue is nil for anything else",
        arguments: [
            "", "-", "015", "00", "-01", "1.5", "1.", "1e5", "+1", " 1", "1 ", "0x10", "١", "１", "1_000",
            "9223372036854775808", "-9223372036854775809", "abc", "1a",
        ]
    )
    func nonCanonical(text: String) {
        #expect(param("x", text).integerValue == nil)
    }

    @Test("a flag has no value and no integer value")
    func flags() {
        #expect(flag("x").isFlag)
        #expect(flag("x").value == nil)
        #expect(flag("x").integerValue == nil)
        #expect(!param("x", "").isFlag)
        #expect(!ExtensionParameter("x", value: 10).isFlag)
    }

    @Test("the integer initializer stores decimal text")
    func integerInitializer() {
        #expect(ExtensionParameter("x", value: 15) == param("x", "15"))
        #expect(ExtensionParameter("x", value: -7).value == "-7")
    }

    @Test("lookups by name")
    func lookups() {
        let parameters: ExtensionParameters = [flag("a"), param("b", "1"), param("a", "x"), flag("c"), flag("a")]
        #expect(parameters.count == 5)
        #expect(parameters.contains("a"))
        #expect(!parameters.contains("A"))
        #expect(parameters.values(for: "a") == [nil, "x", nil])
        #expect(parameters.values(for: "z") == [])
        #expect(parameters.first(named: "a") == flag("a"))
        #expect(parameters.first(named: "b")?.integerValue == 1)
        #expect(parameters.first(named: "z") == nil)
        #expect(parameters.repeatedNames == ["a"])
        #expect(parameters.map(\.name) == ["a", "b", "a", "c", "a"])
    }

    @Test("repeated names are listed once each, in order of first repetition")
    func repeatedNames() {
        let parameters: ExtensionParameters = [flag("a"), flag("b"), flag("b"), flag("a"), flag("b"), flag("c")]
        #expect(parameters.repeatedNames == ["b", "a"])
        #expect(ExtensionParameters([flag("a"), flag("b")]).repeatedNames == [])
    }

    @Test("append keeps order, and equality depends on it")
    func appendAndEquality() {
        var parameters = ExtensionParameters()
        #expect(parameters.isEmpty)
        parameters.append(flag("a"))
        parameters.append(param("b", "1"))
        #expect(parameters == [flag("a"), param("b", "1")])
        #expect(parameters != [param("b", "1"), flag("a")])
        #expect(parameters.elements == [flag("a"), param("b", "1")])
    }

    @Test("an offer defaults to no parameters")
    func offerDefaults() {
        let offer = ExtensionOffer(name: "x")
        #expect(offer.parameters.isEmpty)
        #expect(offer == ExtensionOffer(name: "x", parameters: []))
        #expect(offer != ExtensionOffer(name: "X"))
    }
}
