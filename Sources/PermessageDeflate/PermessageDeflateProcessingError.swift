extension PermessageDeflate {
    /// A failure while compressing or inflating a message. The framework fails the connection
    /// with close code 1010 (an inflated message that is too large throws
    /// `ExtensionMessageTooLarge` instead, which gives 1009).
    public enum ProcessingError: Error, Hashable, Sendable, CustomStringConvertible {
        /// zlib rejected the compressed data of an incoming message; the payload is zlib's
        /// message, such as `invalid block type` or `invalid distance too far back` (the latter
        /// when the peer exceeds its negotiated window).
        case invalidCompressedData(String)
        /// The compressed data of an incoming message, with `00 00 ff ff` appended, does not end
        /// on a DEFLATE block boundary (RFC 7692 §7.2.2): it is truncated or badly terminated.
        case truncatedCompressedData
        /// A zlib call failed for a reason other than bad input (out of memory, an internal
        /// error).
        case zlibFailure(function: String, code: Int32, message: String?)
        /// The session was used after it was closed.
        case sessionClosed

        /// The failure as a sentence, used in the close reason (`permessage-deflate: …`).
        public var description: String {
            switch self {
            case .invalidCompressedData(let reason):
                return "invalid compressed data: \(reason)"
            case .truncatedCompressedData:
                return "invalid compressed data: the message does not end on a DEFLATE block boundary"
            case .zlibFailure(let function, let code, let message):
                let detail = message.map { ": \($0)" } ?? ""
                return "zlib \(function) failed with code \(code)\(detail)"
            case .sessionClosed:
                return "the permessage-deflate session is closed"
            }
        }
    }
}
