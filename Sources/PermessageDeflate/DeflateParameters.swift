internal import WebSocketExtensions

/// The four RFC 7692 parameters of one offer or response, validated.
///
/// Validation (RFC 7692 §7): only the four names are allowed, each at most once; the
/// `*_no_context_takeover` parameters take no value; `server_max_window_bits` needs a value;
/// `client_max_window_bits` may be bare in an offer but needs a value in a response; every value
/// is a decimal integer from 8 to 15 without leading zeros (a quoted value reads the same as a
/// token, RFC 7692 §7.1).
struct DeflateParameters: Hashable {
    /// Where the parameters come from, which decides whether a bare `client_max_window_bits`
    /// is allowed.
    enum Role {
        /// A client's offer: `client_max_window_bits` may be bare.
        case offer
        /// A server's response: every window parameter needs a value.
        case response
    }

    /// The `client_max_window_bits` parameter: absent, bare (offers only), or with a value.
    enum ClientWindow: Hashable {
        case absent
        case bare
        case bits(Int)

        /// The value, if one was given.
        var value: Int? {
            if case .bits(let bits) = self { return bits }
            return nil
        }
    }

    static let serverNoContextTakeoverName = "server_no_context_takeover"
    static let clientNoContextTakeoverName = "client_no_context_takeover"
    static let serverMaxWindowBitsName = "server_max_window_bits"
    static let clientMaxWindowBitsName = "client_max_window_bits"

    var serverNoContextTakeover = false
    var clientNoContextTakeover = false
    var serverMaxWindowBits: Int?
    var clientMaxWindowBits = ClientWindow.absent

    init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: ClientWindow = .absent
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Validates `parameters` in order, failing on the first offending one.
    init(_ parameters: ExtensionParameters, role: Role) throws(PermessageDeflate.NegotiationError) {
        var seen: Set<String> = []
        for parameter in parameters {
            guard !seen.contains(parameter.name) else { throw .duplicateParameter(parameter.name) }
            seen.insert(parameter.name)
            switch parameter.name {
            case Self.serverNoContextTakeoverName:
                try Self.requireFlag(parameter)
                serverNoContextTakeover = true
            case Self.clientNoContextTakeoverName:
                try Self.requireFlag(parameter)
                clientNoContextTakeover = true
            case Self.serverMaxWindowBitsName:
                serverMaxWindowBits = try Self.windowBits(parameter)
            case Self.clientMaxWindowBitsName:
                if parameter.value == nil && role == .offer {
                    clientMaxWindowBits = .bare
                } else {
                    clientMaxWindowBits = .bits(try Self.windowBits(parameter))
                }
            default:
                throw .unknownParameter(parameter.name)
            }
        }
    }

    /// The parameters in the order the Ruby gem writes them (sorted by name).
    var extensionParameters: ExtensionParameters {
        var parameters = ExtensionParameters()
        switch clientMaxWindowBits {
        case .absent: break
        case .bare: parameters.append(ExtensionParameter(Self.clientMaxWindowBitsName))
        case .bits(let bits): parameters.append(ExtensionParameter(Self.clientMaxWindowBitsName, value: bits))
        }
        if clientNoContextTakeover { parameters.append(ExtensionParameter(Self.clientNoContextTakeoverName)) }
        if let serverMaxWindowBits {
            parameters.append(ExtensionParameter(Self.serverMaxWindowBitsName, value: serverMaxWindowBits))
        }
        if serverNoContextTakeover { parameters.append(ExtensionParameter(Self.serverNoContextTakeoverName)) }
        return parameters
    }

    private static func requireFlag(_ parameter: ExtensionParameter) throws(PermessageDeflate.NegotiationError) {
        if let value = parameter.value { throw .unexpectedValue(parameter: parameter.name, value: value) }
    }

    private static func windowBits(_ parameter: ExtensionParameter) throws(PermessageDeflate.NegotiationError) -> Int {
        guard let value = parameter.value else { throw .missingValue(parameter.name) }
        guard let bits = parameter.integerValue, WindowBits.range.contains(bits) else {
            throw .invalidWindowBits(parameter: parameter.name, value: value)
        }
        return bits
    }
}
