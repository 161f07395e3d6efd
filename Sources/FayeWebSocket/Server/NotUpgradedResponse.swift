public import WebSocketDriver

/// What to answer an upgrade request that ``WebSocketUpgrader`` did not upgrade, given the reason
/// NIO fired (or `notUpgraded` reported).
///
/// A `HandshakeRefusal` is answered as the embedded server answers it: its status (400, or 426
/// with `Sec-WebSocket-Version: 13`), headers and reason. A request the route declined
/// (``WebSocketUpgraderError/notAccepted``, or any other reason) gets `404 Not found`. Add
/// `Content-Length` and `Connection: close`, and close the connection after the answer: NIO's
/// HTTP decoder reads nothing after an upgrade request.
public struct NotUpgradedResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// The header fields (`Content-Type`, and `Sec-WebSocket-Version` for a 426).
    public var headers: HeaderFields
    /// The plain-text body.
    public var body: [UInt8]

    /// The answer for `reason`.
    public init(reason: any Error) {
        if let refusal = reason as? HandshakeRefusal {
            (status, headers, body) = (refusal.status, refusal.headers, refusal.body)
        } else {
            (status, headers, body) = (404, ["Content-Type": "text/plain; charset=utf-8"], Array("Not found\n".utf8))
        }
    }
}
