/// One element of a `Sec-WebSocket-Extensions` list: an extension name with its parameters.
///
/// In a client request each element is an offer; in a server response each is an accepted
/// extension. The grammar is the same (RFC 6455 §9.1), so one type serves both.
public struct ExtensionOffer: Hashable, Sendable, CustomStringConvertible {
    /// The extension name, a token such as `permessage-deflate`.
    public var name: String
    /// The parameters, in header order.
    public var parameters: ExtensionParameters

    /// Creates an offer.
    /// - Parameters:
    ///   - name: the extension name; it must be a token to be serialized.
    ///   - parameters: the parameters; defaults to none.
    public init(name: String, parameters: ExtensionParameters = []) {
        self.name = name
        self.parameters = parameters
    }

    /// The element as serialized: `name; a; b=1`.
    public var description: String {
        var text = ""
        ExtensionHeader.append(self, to: &text)
        return text
    }
}
