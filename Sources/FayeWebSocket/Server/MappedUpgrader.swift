public import NIOCore
public import NIOHTTP1

/// A typed upgrader whose result is another upgrader's, transformed.
///
/// NIO's typed upgrade handler wants one result type for every upgrader and for the no-upgrade
/// path; an enum of what a connection can become is the usual choice:
///
/// ```swift
/// enum Connection: Sendable { case webSocket(WebSocket), http(NIOAsyncChannel<…>) }
/// let upgrader = WebSocketUpgrader(options: options) { _ in }.mapUpgradeResult(Connection.webSocket)
/// ```
public struct MappedUpgrader<Base: NIOTypedHTTPServerProtocolUpgrader, UpgradeResult: Sendable>:
    NIOTypedHTTPServerProtocolUpgrader
{
    private let base: Base
    private let transform: @Sendable (Base.UpgradeResult) -> UpgradeResult

    /// Wraps `base`, transforming its result.
    public init(_ base: Base, transform: @escaping @Sendable (Base.UpgradeResult) -> UpgradeResult) {
        self.base = base
        self.transform = transform
    }

    /// The base upgrader's protocol.
    public var supportedProtocol: String { base.supportedProtocol }
    /// The base upgrader's required headers.
    public var requiredUpgradeHeaders: [String] { base.requiredUpgradeHeaders }

    /// The base upgrader's response.
    public func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        base.buildUpgradeResponse(
            channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    /// The base upgrader's upgrade, its result transformed.
    public func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        base.upgrade(channel: channel, upgradeRequest: upgradeRequest).map(transform)
    }
}

extension NIOTypedHTTPServerProtocolUpgrader {
    /// This upgrader with its result transformed (see ``MappedUpgrader``).
    public func mapUpgradeResult<Result: Sendable>(
        _ transform: @escaping @Sendable (UpgradeResult) -> Result
    ) -> MappedUpgrader<Self, Result> {
        MappedUpgrader(self, transform: transform)
    }
}
