extension PermessageDeflate {
    /// Why a permessage-deflate offer or response was refused (RFC 7692 §7).
    ///
    /// A server skips an offer with such an error and declines silently if no offer is left; a
    /// client fails the handshake, and the description becomes part of the failure message.
    public enum NegotiationError: Error, Hashable, Sendable, CustomStringConvertible {
        /// A parameter RFC 7692 does not define.
        case unknownParameter(String)
        /// A parameter given more than once.
        case duplicateParameter(String)
        /// A value on a parameter that takes none (`server_no_context_takeover`,
        /// `client_no_context_takeover`).
        case unexpectedValue(parameter: String, value: String)
        /// A window-bits parameter without the value it requires here.
        case missingValue(String)
        /// A window-bits value that is not a decimal integer from 8 to 15 without leading zeros.
        case invalidWindowBits(parameter: String, value: String)
        /// A response parameter the client's offer does not allow (`client_max_window_bits` when
        /// it was not offered, RFC 7692 §7.1.2.2).
        case unrequestedParameter(String)
        /// A response lacks a parameter the offer asked for (`server_no_context_takeover`,
        /// `server_max_window_bits`).
        case missingParameter(String)
        /// A response's window is larger than the offer allows.
        case windowBitsAboveOffer(parameter: String, offered: Int, received: Int)

        /// The reason as a sentence naming the parameter, used in handshake failure messages.
        public var description: String {
            switch self {
            case .unknownParameter(let name):
                return "unknown parameter \(name)"
            case .duplicateParameter(let name):
                return "parameter \(name) appears more than once"
            case .unexpectedValue(let name, let value):
                return "parameter \(name) takes no value, got \(value.debugDescription)"
            case .missingValue(let name):
                return "parameter \(name) requires a value from 8 to 15"
            case .invalidWindowBits(let name, let value):
                return "parameter \(name) must be an integer from 8 to 15 without leading zeros, "
                    + "got \(value.debugDescription)"
            case .unrequestedParameter(let name):
                return "parameter \(name) was not offered, so the response must not include it"
            case .missingParameter(let name):
                return "the offer requested \(name) but the response does not include it"
            case .windowBitsAboveOffer(let name, let offered, let received):
                return "\(name)=\(received) is larger than the offered \(offered)"
            }
        }
    }
}
