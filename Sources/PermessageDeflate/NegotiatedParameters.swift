/// What one direction of a connection agreed on.
struct DirectionParameters: Hashable {
    /// The compressor of this direction resets after every message.
    var noContextTakeover: Bool
    /// The largest window (`8...15`) the compressor of this direction may use.
    var windowBits: Int

    /// Context takeover with a 15-bit window: what applies when nothing was negotiated.
    static let unrestricted = DirectionParameters(noContextTakeover: false, windowBits: WindowBits.maximum)
}

/// The outcome of a negotiation, from this end's point of view.
struct NegotiatedParameters: Hashable {
    /// The direction we compress.
    var outgoing: DirectionParameters
    /// The direction we inflate.
    var incoming: DirectionParameters

    /// No restriction in either direction.
    static let unrestricted = NegotiatedParameters(outgoing: .unrestricted, incoming: .unrestricted)
}
