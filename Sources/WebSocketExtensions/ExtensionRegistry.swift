/// The extensions a connection may negotiate, in registration order.
///
/// A registry is configuration: build it once, share it (it is `Sendable`), and let each
/// connection negotiate from it. The client side is ``makeClientNegotiation()``; the server side
/// is ``negotiateServer(offerHeader:)``. Both yield an ``ExtensionPipeline`` that runs the
/// accepted extensions' sessions for that connection.
public struct ExtensionRegistry: Sendable {
    /// The registered extensions, in registration order.
    public private(set) var extensions: [any WebSocketExtension] = []

    /// Creates an empty registry.
    public init() {}

    /// Whether no extension is registered.
    public var isEmpty: Bool { extensions.isEmpty }

    /// Registers an extension after the one registered before it.
    /// - Throws: ``ExtensionRegistryError`` if the name is not a token, the type is not
    ///   per-message, the reserved-bit claim is invalid, or the name is already registered.
    public mutating func add(_ newExtension: any WebSocketExtension) throws(ExtensionRegistryError) {
        let name = newExtension.name
        guard HTTPToken.isToken(name) else { throw .invalidName(name) }
        guard newExtension.type == .perMessage else {
            throw .unsupportedType(name: name, type: newExtension.type)
        }
        guard newExtension.reservedBits.isValid else {
            throw .invalidReservedBits(name: name, rawValue: newExtension.reservedBits.rawValue)
        }
        guard !extensions.contains(where: { $0.name == name }) else { throw .duplicateName(name) }
        extensions.append(newExtension)
    }

    /// Starts a client negotiation: creates one session per extension and collects the offers.
    ///
    /// Sessions that offer nothing are closed at once.
    /// - Throws: ``ExtensionError/invalidParameters(extension:_:)`` if a session's offer
    ///   cannot be serialized (every session is closed first).
    public func makeClientNegotiation() throws(ExtensionError) -> ClientExtensionNegotiation {
        var offered: [ClientExtensionNegotiation.Candidate] = []
        var offers: [ExtensionOffer] = []
        for registered in extensions {
            guard let session = registered.makeClientSession() else { continue }
            let parameterSets = session.generateOffer()
            guard !parameterSets.isEmpty else {
                session.close()
                continue
            }
            offered.append(.init(name: registered.name, reservedBits: registered.reservedBits, session: session))
            for parameters in parameterSets {
                offers.append(ExtensionOffer(name: registered.name, parameters: parameters))
            }
        }
        let header: String?
        do {
            header = offers.isEmpty ? nil : try ExtensionHeader.serialize(offers)
        } catch {
            for candidate in offered { candidate.session.close() }
            let name = offers.first { (try? ExtensionHeader.validate($0)) == nil }?.name ?? "?"
            throw .invalidParameters(extension: name, error)
        }
        return ClientExtensionNegotiation(offerHeader: header, candidates: offered)
    }

    /// Answers a client's `Sec-WebSocket-Extensions` offer.
    ///
    /// Registered extensions are considered in registration order (not the client's order). Each
    /// receives all of the client's offers for its name and may accept one or decline. An
    /// extension whose reserved bits an earlier accepted one holds is skipped; offers for
    /// unregistered names are ignored.
    /// - Parameter offerHeader: the request's header value, or `nil` if absent.
    /// - Returns: the response header (`nil` when nothing was accepted) and the pipeline.
    /// - Throws: ``ExtensionError/malformedHeader(_:)`` for an unparseable offer (answer 400),
    ///   or ``ExtensionError/invalidParameters(extension:_:)`` for an unserializable response.
    public func negotiateServer(
        offerHeader: String?
    ) throws(ExtensionError) -> ServerExtensionNegotiation {
        let offers: [ExtensionOffer]
        do {
            offers = try ExtensionHeader.parse(offerHeader)
        } catch {
            throw .malformedHeader(error)
        }
        var reserved: ReservedBits = []
        var stages: [ExtensionPipeline.Stage] = []
        var responses: [ExtensionOffer] = []
        for registered in extensions {
            let mine = offers.filter { $0.name == registered.name }.map(\.parameters)
            guard !mine.isEmpty, reserved.isDisjoint(with: registered.reservedBits) else { continue }
            guard let session = registered.makeServerSession(offers: mine) else { continue }
            let response = ExtensionOffer(name: registered.name, parameters: session.generateResponse())
            stages.append(.init(name: registered.name, reservedBits: registered.reservedBits, session: session))
            do {
                try ExtensionHeader.validate(response)
            } catch {
                for stage in stages { stage.session.close() }
                throw .invalidParameters(extension: registered.name, error)
            }
            reserved.formUnion(registered.reservedBits)
            responses.append(response)
        }
        let header = responses.isEmpty ? nil : try? ExtensionHeader.serialize(responses)
        return ServerExtensionNegotiation(
            responseHeader: header,
            pipeline: ExtensionPipeline(stages: stages)
        )
    }
}

/// The outcome of a server-side negotiation.
public struct ServerExtensionNegotiation {
    /// The `Sec-WebSocket-Extensions` response value, or `nil` when no extension was accepted
    /// (then the response carries no such header).
    public let responseHeader: String?
    /// The pipeline of the accepted sessions, in registration order.
    public let pipeline: ExtensionPipeline
}
