/// A failure of extension negotiation or of the message pipeline.
///
/// Negotiation errors fail the handshake (a client closes with 1002; a server answers 400 for a
/// malformed offer). Processing errors fail an open connection: ``messageTooLarge(extension:limit:)``
/// with 1009, every other case with 1010.
public enum ExtensionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header could not be parsed.
    case malformedHeader(ExtensionHeaderError)
    /// A session produced parameters that cannot be serialized.
    case invalidParameters(extension: String, ExtensionHeaderError)
    /// The server accepted an extension the client did not offer.
    case unknownExtension(String)
    /// The server accepted the same extension twice.
    case duplicateResponse(String)
    /// Two accepted extensions claim the same reserved bit.
    case reservedBitConflict(ReservedBits, first: String, second: String)
    /// The client's session refused the server's parameters.
    case parametersRejected(extension: String, parameters: String, reason: String)
    /// A session's output exceeded the message length limit.
    case messageTooLarge(extension: String, limit: Int)
    /// A session failed while processing a message.
    case processingFailed(extension: String, reason: String)
    /// The pipeline was used after ``ExtensionPipeline/close()``.
    case pipelineClosed

    /// The message: the close reason or the handshake failure's detail.
    public var description: String {
        switch self {
        case .malformedHeader(let error):
            return error.description
        case .invalidParameters(let name, let error):
            return "Extension \"\(name)\" generated invalid parameters: \(error)"
        case .unknownExtension(let name):
            return "Server sent an extension response for unknown extension \"\(name)\""
        case .duplicateResponse(let name):
            return "Server sent more than one extension response for \"\(name)\""
        case .reservedBitConflict(let bit, let first, let second):
            return "Server sent two extension responses that use the \(bit) bit: "
                + "\"\(first)\" and \"\(second)\""
        case .parametersRejected(let name, let parameters, let reason):
            return "Server sent unacceptable extension parameters: \(parameters) (\(name): \(reason))"
        case .messageTooLarge(let name, let limit):
            return "\(name): message exceeds the maximum length of \(limit) bytes"
        case .processingFailed(let name, let reason):
            return "\(name): \(reason)"
        case .pipelineClosed:
            return "The extension pipeline is closed"
        }
    }
}
