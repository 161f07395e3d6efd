import Testing
import WebSocketExtensions

@testable import PermessageDeflate

/// Every combination of the four offer parameters (80 offers), against several server
/// configurations: the response follows the RFC 7692 rules, our client accepts it, and the two
/// ends agree on each direction.
@Suite("Negotiation: every offer combination")
struct NegotiationConsistencyTests {
    private static let offers: [String] = {
        var all: [String] = []
        for serverNoContext in ["", "server_no_context_takeover"] {
            for clientNoContext in ["", "client_no_context_takeover"] {
                for serverWindow in [
                    "", "server_max_window_bits=8", "server_max_window_bits=12", "server_max_window_bits=15",
                ] {
                    for clientWindow in [
                        "", "client_max_window_bits", "client_max_window_bits=8", "client_max_window_bits=12",
                        "client_max_window_bits=15",
                    ] {
                        let parts = [clientWindow, serverNoContext, serverWindow, clientNoContext].filter {
                            !$0.isEmpty
                        }
                        all.append(parts.joined(separator: "; "))
                    }
                }
            }
        }
        return all
    }()

    private static let servers: [Options] = [
        Options(),
        Options(noContextTakeover: true),
        Options(requestNoContextTakeover: true),
        Options(maxWindowBits: 10),
        Options(requestMaxWindowBits: 9),
        Options(noContextTakeover: true, requestNoContextTakeover: true, maxWindowBits: 8, requestMaxWindowBits: 8),
    ]

    @Test("The response follows the rules and both ends agree", arguments: offers, servers)
    func consistent(offerText: String, server: Options) throws {
        let configuration = try server.configuration()
        let offer = try DeflateParameters(try parameters(offerText), role: .offer)
        let session = try #require(try serverSession(configuration, offers: [offerText]))
        let response = try DeflateParameters(session.generateResponse(), role: .response)

        // The rules, stated independently of the implementation.
        #expect(response.serverNoContextTakeover == (offer.serverNoContextTakeover || server.noContextTakeover))
        #expect(response.clientNoContextTakeover == (offer.clientNoContextTakeover || server.requestNoContextTakeover))
        if let asked = offer.serverMaxWindowBits {
            #expect(response.serverMaxWindowBits == min(asked, server.maxWindowBits ?? 15))
        } else {
            #expect(response.serverMaxWindowBits == nil, "never announced unasked")
        }
        switch offer.clientMaxWindowBits {
        case .absent:
            #expect(response.clientMaxWindowBits == .absent, "§7.1.2.2")
        case .bare, .bits:
            let limit = min(offer.clientMaxWindowBits.value ?? 15, server.requestMaxWindowBits ?? 15)
            #expect(response.clientMaxWindowBits == (limit < 15 ? .bits(limit) : .absent))
        }

        // Our client, having sent this offer, accepts the response.
        let clientConfiguration = try PermessageDeflate(
            noContextTakeover: offer.clientNoContextTakeover,
            requestNoContextTakeover: offer.serverNoContextTakeover,
            maxWindowBits: offer.clientMaxWindowBits.value,
            requestMaxWindowBits: offer.serverMaxWindowBits
        )
        let client = try ClientNegotiation.negotiate(
            offer: offer, response: response, configuration: clientConfiguration)

        // Each compressor stays within what the other end inflates, and an end that drops its
        // inflater after every message faces a compressor that resets after every message.
        #expect(session.parameters.outgoing.windowBits <= client.incoming.windowBits)
        #expect(client.outgoing.windowBits <= session.parameters.incoming.windowBits)
        #expect(!client.incoming.noContextTakeover || session.parameters.outgoing.noContextTakeover)
        #expect(!session.parameters.incoming.noContextTakeover || client.outgoing.noContextTakeover)
        session.close()
    }
}
