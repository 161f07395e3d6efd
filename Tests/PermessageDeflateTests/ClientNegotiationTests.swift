import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// One row of the client table: options, the server's response parameters, and either the
/// negotiated directions or the reason the client refuses.
struct ClientCase: Sendable, CustomTestStringConvertible {
    var options = Options()
    var response: String
    var outgoing = DirectionParameters.unrestricted
    var incoming = DirectionParameters.unrestricted
    var failure: PermessageDeflate.NegotiationError?

    var testDescription: String {
        "\(options): \(response.isEmpty ? "(none)" : response) -> \(failure.map { "\($0)" } ?? "accepted")"
    }
}

private func window(_ bits: Int, noContextTakeover: Bool = false) -> DirectionParameters {
    DirectionParameters(noContextTakeover: noContextTakeover, windowBits: bits)
}

private let noTakeover = DirectionParameters(noContextTakeover: true, windowBits: 15)
private let serverWindow = "server_max_window_bits"
private let clientWindow = "client_max_window_bits"

private let acceptedResponses: [ClientCase] = [
    ClientCase(response: ""),
    ClientCase(response: "server_no_context_takeover", incoming: noTakeover),
    ClientCase(response: "client_no_context_takeover", outgoing: noTakeover),
    ClientCase(response: "server_max_window_bits=8", incoming: window(8)),
    ClientCase(response: "server_max_window_bits=\"12\"", incoming: window(12)),
    ClientCase(response: "server_max_window_bits=15"),
    ClientCase(response: "client_max_window_bits=8", outgoing: window(8)),
    ClientCase(response: "client_max_window_bits=12", outgoing: window(12)),
    ClientCase(response: "client_max_window_bits=15"),
    ClientCase(
        response: "server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
            + "client_max_window_bits=11",
        outgoing: window(11, noContextTakeover: true),
        incoming: window(10, noContextTakeover: true)
    ),
    ClientCase(options: Options(noContextTakeover: true), response: "", outgoing: noTakeover),
    ClientCase(options: Options(maxWindowBits: 9), response: "", outgoing: window(9)),
    ClientCase(options: Options(maxWindowBits: 9), response: "client_max_window_bits=9", outgoing: window(9)),
    ClientCase(options: Options(maxWindowBits: 9), response: "client_max_window_bits=8", outgoing: window(8)),
    ClientCase(
        options: Options(requestNoContextTakeover: true),
        response: "server_no_context_takeover",
        incoming: noTakeover
    ),
    ClientCase(options: Options(requestMaxWindowBits: 12), response: "server_max_window_bits=12", incoming: window(12)),
    ClientCase(options: Options(requestMaxWindowBits: 12), response: "server_max_window_bits=11", incoming: window(11)),
    ClientCase(options: Options(requestMaxWindowBits: 12), response: "server_max_window_bits=8", incoming: window(8)),
    ClientCase(options: Options(requestMaxWindowBits: 15), response: ""),
    ClientCase(options: Options(requestMaxWindowBits: 15), response: "server_max_window_bits=15"),
]

private let refusedResponses: [ClientCase] = [
    ClientCase(response: "foo", failure: .unknownParameter("foo")),
    ClientCase(response: "foo=1", failure: .unknownParameter("foo")),
    ClientCase(response: "Server_No_Context_Takeover", failure: .unknownParameter("Server_No_Context_Takeover")),
    ClientCase(
        response: "server_no_context_takeover; server_no_context_takeover",
        failure: .duplicateParameter("server_no_context_takeover")
    ),
    ClientCase(
        response: "client_no_context_takeover; client_no_context_takeover",
        failure: .duplicateParameter("client_no_context_takeover")
    ),
    ClientCase(
        response: "server_max_window_bits=10; server_max_window_bits=11", failure: .duplicateParameter(serverWindow)),
    ClientCase(
        response: "client_max_window_bits=10; client_max_window_bits=10", failure: .duplicateParameter(clientWindow)),
    ClientCase(
        response: "server_no_context_takeover=1",
        failure: .unexpectedValue(parameter: "server_no_context_takeover", value: "1")
    ),
    ClientCase(
        response: "client_no_context_takeover=\"\"",
        failure: .unexpectedValue(parameter: "client_no_context_takeover", value: "")
    ),
    ClientCase(response: "server_max_window_bits", failure: .missingValue(serverWindow)),
    ClientCase(response: "client_max_window_bits", failure: .missingValue(clientWindow)),
    ClientCase(
        response: "server_max_window_bits=20", failure: .invalidWindowBits(parameter: serverWindow, value: "20")),
    ClientCase(response: "server_max_window_bits=7", failure: .invalidWindowBits(parameter: serverWindow, value: "7")),
    ClientCase(
        response: "server_max_window_bits=08", failure: .invalidWindowBits(parameter: serverWindow, value: "08")),
    ClientCase(
        response: "server_max_window_bits=abc", failure: .invalidWindowBits(parameter: serverWindow, value: "abc")),
    ClientCase(
        response: "server_max_window_bits=-8", failure: .invalidWindowBits(parameter: serverWindow, value: "-8")),
    ClientCase(
        response: "client_max_window_bits=20", failure: .invalidWindowBits(parameter: clientWindow, value: "20")),
    ClientCase(
        response: "client_max_window_bits=16", failure: .invalidWindowBits(parameter: clientWindow, value: "16")),
    ClientCase(
        response: "client_max_window_bits=09", failure: .invalidWindowBits(parameter: clientWindow, value: "09")),
    ClientCase(
        options: Options(maxWindowBits: 9),
        response: "client_max_window_bits=10",
        failure: .windowBitsAboveOffer(parameter: clientWindow, offered: 9, received: 10)
    ),
    ClientCase(
        options: Options(requestNoContextTakeover: true),
        response: "",
        failure: .missingParameter("server_no_context_takeover")
    ),
    ClientCase(
        options: Options(requestNoContextTakeover: true),
        response: "client_no_context_takeover",
        failure: .missingParameter("server_no_context_takeover")
    ),
    ClientCase(options: Options(requestMaxWindowBits: 12), response: "", failure: .missingParameter(serverWindow)),
    ClientCase(
        options: Options(requestMaxWindowBits: 12),
        response: "server_max_window_bits=13",
        failure: .windowBitsAboveOffer(parameter: serverWindow, offered: 12, received: 13)
    ),
    ClientCase(
        options: Options(requestMaxWindowBits: 8),
        response: "server_max_window_bits=9",
        failure: .windowBitsAboveOffer(parameter: serverWindow, offered: 8, received: 9)
    ),
]

@Suite("Client negotiation (RFC 7692 §7)")
struct ClientNegotiationTests {
    @Test("The client activates valid responses and refuses the rest", arguments: acceptedResponses + refusedResponses)
    func table(row: ClientCase) throws {
        let session = try clientSession(try row.options.configuration())
        defer { session.close() }
        let response = try parameters(row.response)
        if let failure = row.failure {
            #expect(throws: failure) { try session.activate(response) }
        } else {
            try session.activate(response)
            #expect(session.parameters.outgoing == row.outgoing)
            #expect(session.parameters.incoming == row.incoming)
        }
    }

    @Test("Through the registry, a refused response fails with the parameters and the reason")
    func registryFailure() throws {
        var registry = ExtensionRegistry()
        try registry.add(try PermessageDeflate(maxWindowBits: 9))
        let negotiation = try registry.makeClientNegotiation()
        #expect(negotiation.offerHeader == "permessage-deflate; client_max_window_bits=9")
        let header = "permessage-deflate; client_max_window_bits=10"
        #expect(
            throws: ExtensionError.parametersRejected(
                extension: "permessage-deflate",
                parameters: header,
                reason: "client_max_window_bits=10 is larger than the offered 9"
            )
        ) {
            try negotiation.activate(responseHeader: header)
        }
    }

    @Test("The client accepts no extension in the response (the server declined)")
    func declined() throws {
        var registry = ExtensionRegistry()
        try registry.add(PermessageDeflate())
        let pipeline = try registry.makeClientNegotiation().activate(responseHeader: nil)
        #expect(pipeline.isEmpty)
    }

    @Test(
        "Offers list the parameters in name order",
        arguments: [
            (Options(), "client_max_window_bits"),
            (Options(noContextTakeover: true), "client_max_window_bits; client_no_context_takeover"),
            (Options(maxWindowBits: 10), "client_max_window_bits=10"),
            (Options(requestNoContextTakeover: true), "client_max_window_bits; server_no_context_takeover"),
            (Options(requestMaxWindowBits: 12), "client_max_window_bits; server_max_window_bits=12"),
            (
                Options(
                    noContextTakeover: true, requestNoContextTakeover: true, maxWindowBits: 8, requestMaxWindowBits: 9),
                "client_max_window_bits=8; client_no_context_takeover; server_max_window_bits=9; server_no_context_takeover"
            ),
        ]
    )
    func offers(options: Options, expected: String) throws {
        let session = try clientSession(try options.configuration())
        defer { session.close() }
        #expect(session.generateOffer().map(describe) == [expected])
    }

    @Test("client_max_window_bits in a response is refused when the offer did not carry it (§7.1.2.2)")
    func unrequestedClientWindow() throws {
        let offer = DeflateParameters()
        let response = try DeflateParameters(try parameters("client_max_window_bits=10"), role: .response)
        #expect(throws: PermessageDeflate.NegotiationError.unrequestedParameter("client_max_window_bits")) {
            try ClientNegotiation.negotiate(offer: offer, response: response, configuration: PermessageDeflate())
        }
        let accepted = try ClientNegotiation.negotiate(
            offer: offer,
            response: DeflateParameters(),
            configuration: PermessageDeflate()
        )
        #expect(accepted == .unrestricted)
    }

    @Test("Negotiation errors read as precise sentences")
    func descriptions() {
        typealias Failure = PermessageDeflate.NegotiationError
        #expect(Failure.unknownParameter("foo").description == "unknown parameter foo")
        #expect(Failure.duplicateParameter("a").description == "parameter a appears more than once")
        #expect(
            Failure.unexpectedValue(parameter: "server_no_context_takeover", value: "1").description
                == "parameter server_no_context_takeover takes no value, got \"1\""
        )
        #expect(
            Failure.missingValue("server_max_window_bits").description
                == "parameter server_max_window_bits requires a value from 8 to 15"
        )
        #expect(
            Failure.invalidWindowBits(parameter: "server_max_window_bits", value: "08").description
                == "parameter server_max_window_bits must be an integer from 8 to 15 without leading zeros, got \"08\""
        )
        #expect(
            Failure.unrequestedParameter("client_max_window_bits").description
                == "parameter client_max_window_bits was not offered, so the response must not include it"
        )
        #expect(
            Failure.missingParameter("server_no_context_takeover").description
                == "the offer requested server_no_context_takeover but the response does not include it"
        )
    }
}
