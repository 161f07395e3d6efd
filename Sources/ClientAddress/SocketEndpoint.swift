/// An IP address and a TCP or UDP port: one end of a connection.
public struct SocketEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host's address.
    public var address: IPAddress
    /// The port.
    public var port: UInt16

    /// Creates an endpoint.
    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:443`, or `[2001:db8::1]:443` for IPv6.
    public var description: String {
        switch address.family {
        case .ipv4: return "\(address):\(port)"
        case .ipv6: return "[\(address)]:\(port)"
        }
    }
}
