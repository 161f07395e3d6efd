import Testing

@testable import WebSocketExtensions

/// Adversarial values of 1 MiB (the shapes of CVE-2020-7663 among them) must be accepted or
/// rejected in linear time: the parser is a single pass without backtracking. A pass over 1 MiB
/// takes a fraction of a second even in a debug build; a quadratic parser would need about
/// 10^11 steps (minutes). The bound of five seconds separates the two with room for a machine
/// loaded by other work.
@Suite("ExtensionHeader.parse: linear time", .serialized)
struct ExtensionHeaderLinearTimeTests {
    static let mebibyte = 1 << 20
    static let timeLimit = Duration.seconds(5)

    /// The outcome of parsing `header`: the offers, or the error position.
    enum Outcome {
        case accepted([ExtensionOffer])
        case rejected(position: Int)
    }

    /// Parses `header`.
    static func outcome(of header: String) -> Outcome {
        do {
            return .accepted(try ExtensionHeader.parse(header))
        } catch {
            switch error {
            case .malformed(_, let position, _): return .rejected(position: position)
            case .invalidName, .invalidValue: return .rejected(position: -1)
            }
        }
    }

    /// Parses `header` and checks that it took less than ``timeLimit``.
    func parseTimed(_ header: String, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        var outcome = Outcome.accepted([])
        let elapsed = ContinuousClock().measure { outcome = Self.outcome(of: header) }
        #expect(
            elapsed < Self.timeLimit,
            "parsing \(header.utf8.count) bytes took \(elapsed)",
            sourceLocation: sourceLocation
        )
        return outcome
    }

    func accepted(_ outcome: Outcome) -> [ExtensionOffer]? {
        if case .accepted(let offers) = outcome { return offers }
        return nil
    }

    func rejectedPosition(_ outcome: Outcome) -> Int? {
        if case .rejected(let position) = outcome { return position }
        return nil
    }

    @Test("a long run of ;b=c parameters")
    func manyParameters() {
        let count = Self.mebibyte / 4
        let offers = accepted(parseTimed("a" + String(repeating: ";b=c", count: count)))
        #expect(offers?.count == 1)
        #expect(offers?.first?.parameters.count == count)
        #expect(offers?.first?.parameters.last == param("b", "c"))
    }

    @Test("a long run of a;b=c offers")
    func manyOffers() {
        let count = Self.mebibyte / 6
        let header = "a;b=c" + String(repeating: ",a;b=c", count: count)
        let offers = accepted(parseTimed(header))
        #expect(offers?.count == count + 1)
    }

    @Test("a long run of spaces before a stray token is rejected")
    func spacesThenToken() {
        #expect(
            rejectedPosition(parseTimed("a" + String(repeating: " ", count: Self.mebibyte) + "b")) == Self.mebibyte + 1)
    }

    @Test("long runs of spaces and tabs around the value and the separators are accepted")
    func spacesAround() {
        let blank = String(repeating: " \t", count: Self.mebibyte / 10)  // five runs: 1 MiB in all
        let offers = accepted(parseTimed(blank + "a" + blank + ";" + blank + "b" + blank + "," + blank + "c" + blank))
        #expect(offers == [ExtensionOffer(name: "a", parameters: [flag("b")]), ExtensionOffer(name: "c")])
    }

    @Test("spaces after every parameter that end in garbage are rejected at the garbage")
    func spacedParametersThenGarbage() {
        let header = "a" + String(repeating: " ; b ", count: Self.mebibyte / 5) + "="
        #expect(rejectedPosition(parseTimed(header)) == header.utf8.count - 1)
    }

    @Test("a long run of commas is rejected at the second one")
    func commas() {
        #expect(rejectedPosition(parseTimed("a" + String(repeating: ",", count: Self.mebibyte))) == 2)
    }

    @Test("a long list of comma-separated names is accepted")
    func commaSeparatedNames() {
        let count = Self.mebibyte / 2
        #expect(accepted(parseTimed("a" + String(repeating: ",a", count: count)))?.count == count + 1)
    }

    @Test("a long run of spaced commas without names is rejected")
    func spacedCommas() {
        #expect(rejectedPosition(parseTimed("a" + String(repeating: " , ", count: Self.mebibyte / 3))) == 5)
    }

    @Test("an unterminated quoted string of \\a pairs is rejected (CVE-2020-7663)")
    func unterminatedEscapes() {
        let header = #"foo; bar="fooa"# + String(repeating: #"\a"#, count: Self.mebibyte / 2)
        #expect(rejectedPosition(parseTimed(header)) == header.utf8.count)
    }

    @Test("a terminated quoted string of \\a pairs is accepted")
    func terminatedEscapes() {
        let header = #"foo; bar="fooa"# + String(repeating: #"\a"#, count: Self.mebibyte / 2) + #"""#
        let value = accepted(parseTimed(header))?.first?.parameters.first?.value
        #expect(value == "fooa" + String(repeating: "a", count: Self.mebibyte / 2))
    }

    @Test("an unterminated quoted string of \\a pairs followed by a comma and an offer is rejected")
    func unterminatedEscapesThenOffer() {
        let header = #"foo; bar=""# + String(repeating: #"\a"#, count: Self.mebibyte / 2) + ", b"
        #expect(rejectedPosition(parseTimed(header)) == header.utf8.count)
    }

    @Test("a; b=\" followed by 1 MiB is rejected at its end")
    func openQuote() {
        let header = #"a; b=""# + String(repeating: "x", count: Self.mebibyte)
        #expect(rejectedPosition(parseTimed(header)) == header.utf8.count)
    }

    @Test("a; b=\" followed by 1 MiB of escaped quotes and a closing quote is accepted")
    func escapedQuotes() {
        let header = #"a; b=""# + String(repeating: #"\""#, count: Self.mebibyte / 2) + #"""#
        #expect(accepted(parseTimed(header))?.first?.parameters.first?.value?.utf8.count == Self.mebibyte / 2)
    }

    @Test("a 1 MiB token is accepted")
    func longToken() {
        #expect(
            accepted(parseTimed(String(repeating: "a", count: Self.mebibyte)))?.first?.name.utf8.count == Self.mebibyte)
    }

    @Test("a long run of semicolons is rejected at the second one")
    func semicolons() {
        #expect(rejectedPosition(parseTimed("a" + String(repeating: ";", count: Self.mebibyte))) == 2)
    }

    @Test("a long run of bare flags is accepted")
    func flags() {
        let count = Self.mebibyte / 3
        #expect(accepted(parseTimed("a" + String(repeating: "; b", count: count)))?.first?.parameters.count == count)
    }

    @Test("a 1 MiB multi-byte quoted value is accepted")
    func unicodeValue() {
        let value = String(repeating: "é", count: Self.mebibyte / 2)
        #expect(accepted(parseTimed(#"a; b=""# + value + #"""#))?.first?.parameters.first?.value == value)
    }
}
