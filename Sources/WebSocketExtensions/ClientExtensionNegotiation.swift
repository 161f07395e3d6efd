/// A client's extension negotiation for one connection: the offer it sends and the activation
/// of the server's response.
///
/// Exactly one of ``activate(responseHeader:)`` and ``cancel()`` should be called; either way
/// every session that does not end up in the pipeline is closed.
public final class ClientExtensionNegotiation {
    struct Candidate {
        let name: String
        let reservedBits: ReservedBits
        let session: any ClientExtensionSession
    }

    /// The `Sec-WebSocket-Extensions` request value, or `nil` when nothing is offered.
    public let offerHeader: String?
    private var candidates: [Candidate]

    init(offerHeader: String?, candidates: [Candidate]) {
        self.offerHeader = offerHeader
        self.candidates = candidates
    }

    deinit {
        cancel()
    }

    /// Activates the server's response: the order of the response becomes the pipeline order.
    ///
    /// - Parameter responseHeader: the response's header value, or `nil` if absent.
    /// - Returns: the pipeline of the activated sessions. Sessions the server did not accept are
    ///   closed.
    /// - Throws: ``ExtensionError`` for an unparseable header, an extension never offered, the
    ///   same extension twice, two extensions claiming one reserved bit, or parameters a session
    ///   refuses. Every session is closed before the error is thrown.
    public func activate(responseHeader: String?) throws(ExtensionError) -> ExtensionPipeline {
        let pending = candidates
        candidates = []
        do {
            let stages = try Self.activate(pending, responseHeader: responseHeader)
            for candidate in pending where !stages.contains(where: { $0.name == candidate.name }) {
                candidate.session.close()
            }
            return ExtensionPipeline(stages: stages)
        } catch {
            for candidate in pending { candidate.session.close() }
            throw error
        }
    }

    /// Abandons the negotiation (the handshake failed): closes every session.
    public func cancel() {
        let pending = candidates
        candidates = []
        for candidate in pending { candidate.session.close() }
    }

    private static func activate(
        _ candidates: [Candidate],
        responseHeader: String?
    ) throws(ExtensionError) -> [ExtensionPipeline.Stage] {
        let responses: [ExtensionOffer]
        do {
            responses = try ExtensionHeader.parse(responseHeader)
        } catch {
            throw .malformedHeader(error)
        }
        var stages: [ExtensionPipeline.Stage] = []
        for response in responses {
            guard let candidate = candidates.first(where: { $0.name == response.name }) else {
                throw .unknownExtension(response.name)
            }
            guard !stages.contains(where: { $0.name == response.name }) else {
                throw .duplicateResponse(response.name)
            }
            for stage in stages {
                let shared = stage.reservedBits.intersection(candidate.reservedBits)
                if !shared.isEmpty {
                    throw .reservedBitConflict(shared, first: stage.name, second: response.name)
                }
            }
            do {
                try candidate.session.activate(response.parameters)
            } catch {
                throw .parametersRejected(
                    extension: response.name,
                    parameters: response.description,
                    reason: String(describing: error)
                )
            }
            stages.append(.init(name: candidate.name, reservedBits: candidate.reservedBits, session: candidate.session))
        }
        return stages
    }
}
