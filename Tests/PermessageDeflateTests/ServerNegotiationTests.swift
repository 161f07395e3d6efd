import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// One row of the server table: an offer header, and the response header expected (`nil` when
/// the server declines), with the window and takeover each direction ends up with.
struct ServerCase: Sendable, CustomTestStringConvertible {
    var options = Options()
    var offer: String
    var response: String?
    var outgoing = DirectionParameters.unrestricted
    var incoming = DirectionParameters.unrestricted

    var testDescription: String { "\(options): \(offer) -> \(response ?? "declined")" }
}

/// The options a table row configures (the rest stay at their defaults).
struct Options: Sendable, CustomStringConvertible {
    var noContextTakeover = false
    var requestNoContextTakeover = false
    var maxWindowBits: Int?
    var requestMaxWindowBits: Int?

    func configuration() throws -> PermessageDeflate {
        try PermessageDeflate(
            noContextTakeover: noContextTakeover,
            requestNoContextTakeover: requestNoContextTakeover,
            maxWindowBits: maxWindowBits,
            requestMaxWindowBits: requestMaxWindowBits
        )
    }

    var description: String {
        var parts: [String] = []
        if noContextTakeover { parts.append("noContextTakeover") }
        if requestNoContextTakeover { parts.append("requestNoContextTakeover") }
        if let maxWindowBits { parts.append("maxWindowBits \(maxWindowBits)") }
        if let requestMaxWindowBits { parts.append("requestMaxWindowBits \(requestMaxWindowBits)") }
        return parts.isEmpty ? "defaults" : parts.joined(separator: ", ")
    }
}

private func window(_ bits: Int, noContextTakeover: Bool = false) -> DirectionParameters {
    DirectionParameters(noContextTakeover: noContextTakeover, windowBits: bits)
}

private let noTakeover = DirectionParameters(noContextTakeover: true, windowBits: 15)
private let pmd = "permessage-deflate"

private let acceptedOffers: [ServerCase] = [
    ServerCase(offer: pmd, response: pmd),
    ServerCase(offer: "\(pmd); client_max_window_bits", response: pmd),
    ServerCase(
        offer: "\(pmd); client_max_window_bits=10",
        response: "\(pmd); client_max_window_bits=10",
        incoming: window(10)
    ),
    ServerCase(offer: "\(pmd); client_max_window_bits=15", response: pmd),
    ServerCase(
        offer: "\(pmd); client_max_window_bits=8",
        response: "\(pmd); client_max_window_bits=8",
        incoming: window(8)
    ),
    ServerCase(
        offer: "\(pmd); client_max_window_bits=\"10\"",
        response: "\(pmd); client_max_window_bits=10",
        incoming: window(10)
    ),
    ServerCase(
        offer: "\(pmd); server_max_window_bits=10",
        response: "\(pmd); server_max_window_bits=10",
        outgoing: window(10)
    ),
    ServerCase(offer: "\(pmd); server_max_window_bits=15", response: "\(pmd); server_max_window_bits=15"),
    ServerCase(
        offer: "\(pmd); server_max_window_bits=8",
        response: "\(pmd); server_max_window_bits=8",
        outgoing: window(8)
    ),
    ServerCase(
        offer: "\(pmd); server_no_context_takeover",
        response: "\(pmd); server_no_context_takeover",
        outgoing: noTakeover
    ),
    ServerCase(
        offer: "\(pmd); client_no_context_takeover",
        response: "\(pmd); client_no_context_takeover",
        incoming: noTakeover
    ),
    ServerCase(
        offer: "\(pmd); server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; "
            + "client_max_window_bits=9",
        response: "\(pmd); client_max_window_bits=9; client_no_context_takeover; server_max_window_bits=12; "
            + "server_no_context_takeover",
        outgoing: window(12, noContextTakeover: true),
        incoming: window(9, noContextTakeover: true)
    ),
    ServerCase(
        offer: "\(pmd); client_max_window_bits; server_max_window_bits=10, \(pmd)",
        response: "\(pmd); server_max_window_bits=10",
        outgoing: window(10)
    ),
    ServerCase(
        offer: "\(pmd); server_max_window_bits, \(pmd); client_max_window_bits=9",
        response: "\(pmd); client_max_window_bits=9",
        incoming: window(9)
    ),
    ServerCase(offer: "\(pmd); foo, \(pmd); bar, \(pmd)", response: pmd),
    ServerCase(offer: "x-other, \(pmd); SERVER_NO_CONTEXT_TAKEOVER, \(pmd)", response: pmd),
]

private let declinedOffers: [ServerCase] = [
    "foo", "foo=1", "server_no_context_takeover; server_no_context_takeover",
    "client_no_context_takeover; client_no_context_takeover",
    "server_max_window_bits=10; server_max_window_bits=10", "client_max_window_bits; client_max_window_bits=10",
    "server_no_context_takeover=1", "server_no_context_takeover=\"\"", "client_no_context_takeover=true",
    "server_max_window_bits", "server_max_window_bits=7", "server_max_window_bits=16", "server_max_window_bits=0",
    "server_max_window_bits=08", "server_max_window_bits=\"010\"", "server_max_window_bits=1e1",
    "server_max_window_bits=-9", "server_max_window_bits=+9", "server_max_window_bits=9.0",
    "server_max_window_bits=abc", "server_max_window_bits=\"\"", "client_max_window_bits=7",
    "client_max_window_bits=16", "client_max_window_bits=010", "client_max_window_bits=x",
    "client_max_window_bits=99999999999999999999999", "client_max_window_bits=10; foo",
].map { ServerCase(offer: "\(pmd); \($0)", response: nil) }

private let optionCases: [ServerCase] = {
    let limit12 = Options(maxWindowBits: 12)
    let request11 = Options(requestMaxWindowBits: 11)
    return [
        ServerCase(options: limit12, offer: pmd, response: pmd, outgoing: window(12)),
        ServerCase(
            options: limit12, offer: "\(pmd); server_max_window_bits=13",
            response: "\(pmd); server_max_window_bits=12", outgoing: window(12)
        ),
        ServerCase(
            options: limit12, offer: "\(pmd); server_max_window_bits=11",
            response: "\(pmd); server_max_window_bits=11", outgoing: window(11)
        ),
        ServerCase(
            options: limit12, offer: "\(pmd); server_max_window_bits=15",
            response: "\(pmd); server_max_window_bits=12", outgoing: window(12)
        ),
        ServerCase(options: Options(maxWindowBits: 8), offer: pmd, response: pmd, outgoing: window(8)),
        ServerCase(options: request11, offer: pmd, response: pmd),
        ServerCase(
            options: request11, offer: "\(pmd); client_max_window_bits",
            response: "\(pmd); client_max_window_bits=11", incoming: window(11)
        ),
        ServerCase(
            options: request11, offer: "\(pmd); client_max_window_bits=12",
            response: "\(pmd); client_max_window_bits=11", incoming: window(11)
        ),
        ServerCase(
            options: request11, offer: "\(pmd); client_max_window_bits=10",
            response: "\(pmd); client_max_window_bits=10", incoming: window(10)
        ),
        ServerCase(
            options: Options(noContextTakeover: true), offer: pmd,
            response: "\(pmd); server_no_context_takeover", outgoing: noTakeover
        ),
        ServerCase(
            options: Options(requestNoContextTakeover: true), offer: pmd,
            response: "\(pmd); client_no_context_takeover", incoming: noTakeover
        ),
        ServerCase(
            options: Options(noContextTakeover: true, requestNoContextTakeover: true),
            offer: "\(pmd); server_no_context_takeover; client_no_context_takeover",
            response: "\(pmd); client_no_context_takeover; server_no_context_takeover",
            outgoing: noTakeover, incoming: noTakeover
        ),
        ServerCase(options: Options(requestNoContextTakeover: true), offer: "\(pmd); foo", response: nil),
    ]
}()

@Suite("Server negotiation (RFC 7692 §7)")
struct ServerNegotiationTests {
    @Test(
        "The server answers the first valid offer, or declines silently",
        arguments: acceptedOffers + declinedOffers + optionCases
    )
    func table(row: ServerCase) throws {
        let configuration = try row.options.configuration()
        var registry = ExtensionRegistry()
        try registry.add(configuration)
        let negotiation = try registry.negotiateServer(offerHeader: row.offer)
        defer { negotiation.pipeline.close() }
        #expect(negotiation.responseHeader == row.response)
        #expect(negotiation.pipeline.extensionNames == (row.response == nil ? [] : [pmd]))

        let offers = try ExtensionHeader.parse(row.offer).filter { $0.name == pmd }.map(\.parameters)
        let session = configuration.makeServerSession(offers: offers) as? PermessageDeflateServerSession
        defer { session?.close() }
        #expect((session == nil) == (row.response == nil))
        if let session {
            #expect(session.parameters.outgoing == row.outgoing)
            #expect(session.parameters.incoming == row.incoming)
        }
    }

    @Test("No offer at all gives no session")
    func noOffers() {
        #expect(PermessageDeflate().makeServerSession(offers: []) == nil)
    }

    @Test("Offers are validated with the reason a client would get")
    func offerValidationReasons() throws {
        typealias Failure = PermessageDeflate.NegotiationError
        let cases: [(String, Failure)] = [
            ("foo", .unknownParameter("foo")),
            (
                "server_no_context_takeover; server_no_context_takeover",
                .duplicateParameter("server_no_context_takeover")
            ),
            ("client_no_context_takeover=1", .unexpectedValue(parameter: "client_no_context_takeover", value: "1")),
            ("server_max_window_bits", .missingValue("server_max_window_bits")),
            ("server_max_window_bits=08", .invalidWindowBits(parameter: "server_max_window_bits", value: "08")),
            ("client_max_window_bits=16", .invalidWindowBits(parameter: "client_max_window_bits", value: "16")),
        ]
        for (text, failure) in cases {
            #expect(throws: failure) { try DeflateParameters(try parameters(text), role: .offer) }
        }
        let bare = try DeflateParameters(try parameters("client_max_window_bits"), role: .offer)
        #expect(bare.clientMaxWindowBits == .bare)
    }
}
