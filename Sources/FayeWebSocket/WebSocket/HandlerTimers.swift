import NIOCore

/// The timers of a ``WebSocketHandler``: the close timeout, the keep-alive ping and its pong
/// timeouts, the extensions' idle release. Allocated on first use, so that an idle connection
/// without keep-alive pings or extensions does not carry their space.
final class HandlerTimers {
    var closeTimer: Scheduled<Void>?
    var pingTask: Scheduled<Void>?
    /// Runs while extensions hold state: releases it once a period passed without messages.
    var idleReleaseTimer: Scheduled<Void>?
    var pongTimers: [UInt64: Scheduled<Void>] = [:]
    var pingCounter: UInt64 = 0

    /// Cancels every timer.
    func cancelAll() {
        closeTimer?.cancel()
        pingTask?.cancel()
        idleReleaseTimer?.cancel()
        idleReleaseTimer = nil
        for timer in pongTimers.values { timer.cancel() }
        pongTimers = [:]
    }
}
