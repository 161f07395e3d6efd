import FayeTestSupport
import Testing

@testable import WebSocketExtensions

/// Random offers and headers from a seeded generator.
struct HeaderGenerator {
    var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    static let tokenCharacters = Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let asciiSpecials = Array(" \t\"\\,;=()<>@:/[]?{}")
    static let unicode: [Character] = [
        "é", "ü", "ß", "Ω", "日", "本", "😀", "👍🏽", "\u{301}", "e\u{301}", "\u{85}", "\u{A0}", "\u{2028}", "\u{FEFF}",
        "\u{10FFFF}",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &random)
    }

    mutating func bool() -> Bool {
        Bool.random(using: &random)
    }

    mutating func token(maxLength: Int = 8) -> String {
        String((0..<int(1...maxLength)).map { _ in Self.tokenCharacters.randomElement(using: &random) ?? "a" })
    }

    /// A parameter value of one of several shapes, or `nil` for a flag.
    mutating func value() -> String? {
        switch int(0...7) {
        case 0: return nil
        case 1: return token()
        case 2: return ""
        case 3: return String(int(-1000...100_000))
        case 4:
            let pool = Self.tokenCharacters + Self.asciiSpecials
            return String((0..<int(1...12)).map { _ in pool.randomElement(using: &random) ?? "a" })
        case 5:
            let pool = Self.tokenCharacters + Self.unicode
            return String((0..<int(1...8)).map { _ in pool.randomElement(using: &random) ?? "a" })
        case 6:
            return String((0..<int(1...6)).map { _ in bool() ? "\"" : "\\" })
        default:
            let pool = Self.asciiSpecials + Self.unicode
            return String((0..<int(1...10)).map { _ in pool.randomElement(using: &random) ?? " " })
        }
    }

    mutating func parameters() -> ExtensionParameters {
        // A small name pool makes repeated parameters common.
        let names = ["a", "b", "mode", token()]
        var parameters = ExtensionParameters()
        for _ in 0..<int(0...6) {
            parameters.append(ExtensionParameter(names.randomElement(using: &random) ?? "a", value: value()))
        }
        return parameters
    }

    mutating func offers() -> [ExtensionOffer] {
        let names = ["permessage-deflate", "x", token(maxLength: 20)]
        return (0..<int(0...5)).map { _ in
            ExtensionOffer(name: names.randomElement(using: &random) ?? "x", parameters: parameters())
        }
    }

    /// Optional white space: often none, sometimes spaces and tabs.
    mutating func whitespace() -> String {
        guard int(0...2) == 0 else { return "" }
        return String((0..<int(1...3)).map { _ in bool() ? " " : "\t" })
    }

    /// `value` quoted, with some characters escaped that need not be.
    mutating func quoted(_ value: String) -> String {
        // Scalars, not characters: a quote followed by a combining mark is one character.
        var text = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" || (scalar.isASCII && int(0...3) == 0) {
                text += "\\"
            }
            text.unicodeScalars.append(scalar)
        }
        return text + "\""
    }

    /// `offers` written in a non-canonical but equivalent way: random white space around the
    /// separators and the value, and token values sometimes quoted.
    mutating func looselyWritten(_ offers: [ExtensionOffer]) -> String {
        var text = whitespace()
        for (index, offer) in offers.enumerated() {
            if index > 0 { text += whitespace() + "," + whitespace() }
            text += offer.name
            for parameter in offer.parameters {
                text += whitespace() + ";" + whitespace() + parameter.name
                guard let value = parameter.value else { continue }
                text += "="
                text += HTTPToken.isToken(value) && bool() ? value : quoted(value)
            }
        }
        return text + whitespace()
    }

    /// A short string of characters that matter to the grammar.
    mutating func noise() -> String {
        let pool: [Character] = [
            "a", "b", "1", "-", "=", ";", ",", " ", "\t", "\"", "\\", "é", "\n", "\r", "\u{0}", "\u{7F}", "(",
            "\u{301}",
        ]
        return String((0..<int(0...16)).map { _ in pool.randomElement(using: &random) ?? "a" })
    }

    /// `text` with one character deleted, inserted or replaced.
    mutating func mutated(_ text: String) -> String {
        var characters = Array(text.unicodeScalars)
        let pool: [Unicode.Scalar] = ["a", "=", ";", ",", " ", "\t", "\"", "\\", "\n", "\u{0}", "é"]
        let replacement = pool.randomElement(using: &random) ?? "a"
        switch (int(0...2), characters.isEmpty) {
        case (0, false): characters.remove(at: int(0...characters.count - 1))
        case (1, false): characters[int(0...characters.count - 1)] = replacement
        default: characters.insert(replacement, at: int(0...characters.count))
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: characters)
        return result
    }
}

/// The grammar of `ExtensionHeader`'s doc comment (and of Docs/WebSocketExtensions.md), written as
/// a backtracking regular expression: an independent oracle on short inputs.
func grammarOracle() throws -> Regex<AnyRegexOutput> {
    let token = #"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"#
    let quoted =
        #""(?:[\t\x{20}\x{21}\x{23}-\x{5B}\x{5D}-\x{7E}\x{80}-\x{10FFFF}]|\\[\t\x{20}-\x{7E}\x{80}-\x{10FFFF}])*""#
    let parameter = "\(token)(?:=(?:\(token)|\(quoted)))?"
    let ows = #"[ \t]*"#
    let element = "\(token)(?:\(ows);\(ows)\(parameter))*"
    let list = "\(ows)(?:\(element)(?:\(ows),\(ows)\(element))*)?\(ows)"
    return try Regex(list).matchingSemantics(.unicodeScalar)
}

@Suite("ExtensionHeader: properties")
struct ExtensionHeaderPropertyTests {
    @Test("parse(serialize(x)) == x for random offers")
    func roundTrip() throws {
        var generator = HeaderGenerator(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let offers = generator.offers()
            let header = try ExtensionHeader.serialize(offers)
            #expect(try ExtensionHeader.parse(header) == offers, "header: \(header)")
        }
    }

    @Test("parse(serialize(x)) == x keeps every byte of the values")
    func roundTripBytes() throws {
        var generator = HeaderGenerator(seed: 0x5EED_0002)
        for _ in 0..<1000 {
            let offers = generator.offers()
            let parsed = try ExtensionHeader.parse(try ExtensionHeader.serialize(offers))
            let sent = offers.flatMap { $0.parameters.map { $0.value.map { Array($0.utf8) } } }
            let received = parsed.flatMap { $0.parameters.map { $0.value.map { Array($0.utf8) } } }
            #expect(sent == received)
        }
    }

    @Test("loosely written headers parse to the same offers")
    func looseWriting() throws {
        var generator = HeaderGenerator(seed: 0x5EED_0003)
        for _ in 0..<3000 {
            let offers = generator.offers()
            let header = generator.looselyWritten(offers)
            #expect(try ExtensionHeader.parse(header) == offers, "header: \(header.debugDescription)")
        }
    }

    @Test("parse accepts exactly what the grammar's regular expression matches")
    func matchesOracle() throws {
        let oracle = try grammarOracle()
        var generator = HeaderGenerator(seed: 0x5EED_0004)
        var acceptedCount = 0
        for round in 0..<4000 {
            let header: String
            if round.isMultiple(of: 2) {
                header = generator.noise()
            } else {
                let base = generator.looselyWritten(Array(generator.offers().prefix(2)))
                header = generator.mutated(base)
            }
            let matches = (try? oracle.wholeMatch(in: header)) != nil
            do {
                let offers = try ExtensionHeader.parse(header)
                acceptedCount += 1
                #expect(matches, "accepted \(header.debugDescription)")
                // Whatever parses serializes canonically and reparses to the same offers.
                #expect(try ExtensionHeader.parse(try ExtensionHeader.serialize(offers)) == offers)
            } catch {
                #expect(!matches, "rejected \(header.debugDescription): \(error)")
                guard case .malformed(_, let position, _) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect((0...header.utf8.count).contains(position))
            }
        }
        // Both outcomes are exercised.
        #expect(acceptedCount > 500)
        #expect(acceptedCount < 3500)
    }

    @Test("the error position is the end of the longest prefix that can still be completed")
    func errorPositionIsLongestViablePrefix() throws {
        let oracle = try grammarOracle()
        var generator = HeaderGenerator(seed: 0x5EED_0005)
        for _ in 0..<1500 {
            let header = generator.mutated(generator.looselyWritten(Array(generator.offers().prefix(2))))
            guard let failure = parseFailure(header) else { continue }
            let bytes = Array(header.utf8)
            // The bytes before the position, completed with a suitable suffix, are valid.
            let prefix = String(decoding: bytes[..<failure.position], as: UTF8.self)
            let completions = ["", "a", "\"", "a\"", "=a", "\\a\""]
            #expect(
                completions.contains { (try? oracle.wholeMatch(in: prefix + $0)) != nil },
                "prefix of \(header.debugDescription) before byte \(failure.position) cannot be completed"
            )
        }
    }

    @Test("serialize refuses values with a random control character")
    func controlCharactersRefused() {
        var generator = HeaderGenerator(seed: 0x5EED_0006)
        let controls = (0x00...0x1F).filter { $0 != 0x09 } + [0x7F]
        for _ in 0..<1000 {
            var value = Array((generator.value() ?? "").unicodeScalars)
            let control = Unicode.Scalar(UInt8(controls.randomElement(using: &generator.random) ?? 0))
            value.insert(control, at: generator.int(0...value.count))
            var text = ""
            text.unicodeScalars.append(contentsOf: value)
            let offer = ExtensionOffer(name: "a", parameters: [param("b", text)])
            #expect(throws: ExtensionHeaderError.invalidValue(parameter: "b", value: text)) {
                try ExtensionHeader.serialize([offer])
            }
        }
    }

    @Test("serialize refuses names with a random non-token character")
    func nonTokenNamesRefused() {
        var generator = HeaderGenerator(seed: 0x5EED_0007)
        let separators: [Character] = Array(" \t\"(),/:;<=>?@[\\]{}\u{0}\u{7F}é")
        for _ in 0..<1000 {
            var name = Array(generator.token())
            name.insert(separators.randomElement(using: &generator.random) ?? " ", at: generator.int(0...name.count))
            let bad = String(name)
            #expect(throws: ExtensionHeaderError.invalidName(bad)) {
                try ExtensionHeader.serialize([ExtensionOffer(name: bad)])
            }
            #expect(throws: ExtensionHeaderError.invalidName(bad)) {
                try ExtensionHeader.serialize([ExtensionOffer(name: "a", parameters: [flag(bad)])])
            }
        }
    }
}
