/// The per-connection state of an active extension: it transforms whole messages.
///
/// A session is used by one connection on one thread at a time; it need not be `Sendable`.
public protocol ExtensionSession: AnyObject {
    /// Transforms a message received from the peer, before the application sees it.
    ///
    /// - Parameters:
    ///   - message: the message, with the reserved bits of its first frame.
    ///   - maxLength: the most bytes the resulting payload may hold. A session that expands data
    ///     (inflates) must stop as soon as it would exceed this and throw
    ///     ``ExtensionMessageTooLarge``; the driver closes with 1009.
    /// - Returns: the transformed message.
    /// - Throws: any error to fail the connection (1010), or ``ExtensionMessageTooLarge``.
    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message

    /// Transforms a message the application sends, before it is framed.
    /// - Returns: the transformed message, with the reserved bits its first frame must carry.
    /// - Throws: any error to fail the connection (1010).
    func processOutgoingMessage(_ message: Message) throws -> Message

    /// Releases the session's resources. The framework calls it exactly once.
    func close()

    /// Gives back memory held only to process the next message faster, keeping whatever the
    /// next message needs (a compressor's window, say), because the connection has been idle.
    ///
    /// Called between messages, on the connection's thread, any number of times; the session
    /// must process later messages exactly as if it had not been called. The default does
    /// nothing.
    func releaseIdleState()
}

extension ExtensionSession {
    /// Does nothing: a session without idle state has nothing to give back.
    public func releaseIdleState() {}
}

/// A client-side session: makes the offer and accepts or refuses the server's response.
public protocol ClientExtensionSession: ExtensionSession {
    /// The offers to send, most preferred first; empty to offer nothing.
    func generateOffer() -> [ExtensionParameters]

    /// Activates the session with the parameters of the server's response.
    /// - Throws: any error, whose description says why the parameters are unacceptable; the
    ///   client then fails the handshake.
    func activate(_ parameters: ExtensionParameters) throws
}

/// A server-side session, created for an offer the server accepted.
public protocol ServerExtensionSession: ExtensionSession {
    /// The parameters of the response to send for this extension.
    func generateResponse() -> ExtensionParameters
}

/// Thrown by a session whose output would exceed the allowed message length.
public struct ExtensionMessageTooLarge: Error, Hashable, Sendable, CustomStringConvertible {
    /// The limit that was exceeded, in bytes.
    public var limit: Int

    /// Creates the error for `limit`.
    public init(limit: Int) {
        self.limit = limit
    }

    /// `message exceeds the maximum length of <limit> bytes`.
    public var description: String { "message exceeds the maximum length of \(limit) bytes" }
}
