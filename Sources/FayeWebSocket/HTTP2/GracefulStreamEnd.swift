import NIOCore

/// Sent (as a user outbound event) by a WebSocket or EventSource handler just before it closes
/// its channel because its protocol ended cleanly: the closing handshake is done, or the event
/// stream's last event is written.
///
/// On an HTTP/2 stream this turns the close that follows into `END_STREAM` instead of
/// `RST_STREAM`; on a TCP connection no handler takes it and it has no effect.
package struct GracefulStreamEnd: Sendable {
    package init() {}
}

extension ChannelHandlerContext {
    /// Announces that the close about to be asked for is a clean end (see ``GracefulStreamEnd``).
    package func announceGracefulEnd() {
        triggerUserOutboundEvent(GracefulStreamEnd(), promise: nil)
    }
}
