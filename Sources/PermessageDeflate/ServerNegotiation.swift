/// The server's side of RFC 7692 §7 negotiation: the response to an accepted offer.
enum ServerNegotiation {
    /// The response to a validated offer and what it means for each direction.
    ///
    /// - Our context takeover ends if configured or asked (`server_no_context_takeover` is then
    ///   in the response).
    /// - The client's ends if we request it or the client offered it
    ///   (`client_no_context_takeover` is then in the response).
    /// - Our window is the smaller of ``PermessageDeflate/maxWindowBits`` and the offered
    ///   `server_max_window_bits`; it is announced whenever the client offered
    ///   `server_max_window_bits` (§7.1.2.1 makes that how a server accepts it), and never
    ///   unasked (Firefox once failed on that, so the Ruby gem stays silent too).
    /// - The client's window is announced only if the client offered `client_max_window_bits`
    ///   (§7.1.2.2) and the smaller of ``PermessageDeflate/requestMaxWindowBits`` and its value is
    ///   below 15.
    static func respond(
        to offer: DeflateParameters,
        configuration: PermessageDeflate
    ) -> (response: DeflateParameters, negotiated: NegotiatedParameters) {
        let ownNoContextTakeover = configuration.noContextTakeover || offer.serverNoContextTakeover
        let peerNoContextTakeover = configuration.requestNoContextTakeover || offer.clientNoContextTakeover
        let ownWindow = min(
            configuration.maxWindowBits ?? WindowBits.maximum,
            offer.serverMaxWindowBits ?? WindowBits.maximum
        )
        var peerWindow = WindowBits.maximum
        var announcedPeerWindow = DeflateParameters.ClientWindow.absent
        if offer.clientMaxWindowBits != .absent {
            peerWindow = min(
                configuration.requestMaxWindowBits ?? WindowBits.maximum,
                offer.clientMaxWindowBits.value ?? WindowBits.maximum
            )
            if peerWindow < WindowBits.maximum { announcedPeerWindow = .bits(peerWindow) }
        }
        let response = DeflateParameters(
            serverNoContextTakeover: ownNoContextTakeover,
            clientNoContextTakeover: peerNoContextTakeover,
            serverMaxWindowBits: offer.serverMaxWindowBits == nil ? nil : ownWindow,
            clientMaxWindowBits: announcedPeerWindow
        )
        let negotiated = NegotiatedParameters(
            outgoing: DirectionParameters(noContextTakeover: ownNoContextTakeover, windowBits: ownWindow),
            incoming: DirectionParameters(noContextTakeover: peerNoContextTakeover, windowBits: peerWindow)
        )
        return (response, negotiated)
    }
}
