/// The client's side of RFC 7692 §7 negotiation: the offer and the checks on the response.
enum ClientNegotiation {
    /// The single offer a client sends for `configuration`.
    static func offer(for configuration: PermessageDeflate) -> DeflateParameters {
        DeflateParameters(
            serverNoContextTakeover: configuration.requestNoContextTakeover,
            clientNoContextTakeover: configuration.noContextTakeover,
            serverMaxWindowBits: configuration.requestMaxWindowBits,
            clientMaxWindowBits: configuration.maxWindowBits.map { .bits($0) } ?? .bare
        )
    }

    /// Checks a validated response against the offer it answers.
    ///
    /// - `client_max_window_bits` is only allowed if offered, and not above an offered value
    ///   (RFC 7692 §7.1.2.2).
    /// - A requested `server_no_context_takeover` must be present (§7.1.1.1).
    /// - A requested `server_max_window_bits` must be present with the same or a smaller value
    ///   (§7.1.2.1); a requested 15 may be left out, since 15 is no limit at all (the Ruby
    ///   server leaves it out).
    /// - `server_no_context_takeover`, `client_no_context_takeover` and `server_max_window_bits`
    ///   are allowed unasked (§7.1.1.1, §7.1.1.2, §7.1.2.1).
    static func negotiate(
        offer: DeflateParameters,
        response: DeflateParameters,
        configuration: PermessageDeflate
    ) throws(PermessageDeflate.NegotiationError) -> NegotiatedParameters {
        let clientWindowName = DeflateParameters.clientMaxWindowBitsName
        let serverWindowName = DeflateParameters.serverMaxWindowBitsName
        if let received = response.clientMaxWindowBits.value {
            switch offer.clientMaxWindowBits {
            case .absent:
                throw .unrequestedParameter(clientWindowName)
            case .bits(let offered) where received > offered:
                throw .windowBitsAboveOffer(parameter: clientWindowName, offered: offered, received: received)
            default:
                break
            }
        }
        if offer.serverNoContextTakeover && !response.serverNoContextTakeover {
            throw .missingParameter(DeflateParameters.serverNoContextTakeoverName)
        }
        if let requested = offer.serverMaxWindowBits {
            if let received = response.serverMaxWindowBits {
                if received > requested {
                    throw .windowBitsAboveOffer(parameter: serverWindowName, offered: requested, received: received)
                }
            } else if requested < WindowBits.maximum {
                throw .missingParameter(serverWindowName)
            }
        }
        let ownLimit = configuration.maxWindowBits ?? WindowBits.maximum
        return NegotiatedParameters(
            outgoing: DirectionParameters(
                noContextTakeover: configuration.noContextTakeover || response.clientNoContextTakeover,
                windowBits: min(ownLimit, response.clientMaxWindowBits.value ?? WindowBits.maximum)
            ),
            incoming: DirectionParameters(
                noContextTakeover: response.serverNoContextTakeover,
                windowBits: response.serverMaxWindowBits ?? WindowBits.maximum
            )
        )
    }
}
