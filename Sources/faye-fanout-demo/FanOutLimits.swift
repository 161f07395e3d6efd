/// Everything a peer can make one instance hold, bounded (Docs/Deployment.md lists these).
enum FanOutLimits {
    /// The largest message, in bytes of UTF-8: a larger `POST /messages` body is refused with
    /// 413, a larger WebSocket message closes the socket with 1009.
    static let maxMessageBytes = 64 * 1024
    /// Bytes queued for one client (WebSocket or EventSource) and not yet taken by its
    /// connection: past this the client reads too slowly and is dropped. An EventSource client
    /// comes back with `Last-Event-ID` and is replayed what it missed from the table.
    static let maxBufferedBytes = 4 * 1024 * 1024
    /// Live messages held for an EventSource client while its replay from the table runs; past
    /// this the client is dropped (and, reconnecting, replayed from further on).
    static let maxHeldDuringReplay = 10_000
    /// Rows read from the table per query, for a replay and for the doorbell's catch-up.
    static let pageSize = 256
    /// The `retry:` advised to EventSource clients, in milliseconds: they come back this fast
    /// after losing their instance.
    static let retryMilliseconds: Int64 = 1000
    /// A comment on every EventSource stream this often, so that proxies do not end idle ones.
    static let eventSourcePingSeconds: Int64 = 15
    /// How often the doorbell's listener reads the table even without a notification (a
    /// safety net, and how a silently dead LISTEN connection is noticed).
    static let sweepSeconds: Int64 = 5
    /// The longest wait between two attempts to get the LISTEN connection back.
    static let maxReconnectDelayMilliseconds: Int64 = 5000
}
