/// The negotiated extensions of one connection, run on every text and binary message.
///
/// Outgoing messages pass through the sessions in negotiated order (the server's registration
/// order; on a client, the order of the server's response); incoming messages pass in reverse.
/// Processing stops at the first session that fails. The pipeline belongs to one connection and
/// is used from one thread at a time.
public final class ExtensionPipeline {
    struct Stage {
        let name: String
        let reservedBits: ReservedBits
        let session: any ExtensionSession
    }

    private let stages: [Stage]
    private var isClosed = false

    init(stages: [Stage]) {
        self.stages = stages
        self.reservedBits = stages.reduce(into: []) { $0.formUnion($1.reservedBits) }
    }

    deinit {
        close()
    }

    /// A pipeline with no extension.
    public convenience init() {
        self.init(stages: [])
    }

    /// Whether no extension is active.
    public var isEmpty: Bool { stages.isEmpty }

    /// The names of the active extensions, in outgoing order.
    public var extensionNames: [String] { stages.map(\.name) }

    /// The reserved bits the active extensions use.
    public let reservedBits: ReservedBits

    /// Whether a frame may carry `bits`: the first frame of a text or binary message may carry
    /// the bits of active extensions; continuation and control frames may carry none.
    @inline(__always)
    public func allowsReservedBits(_ bits: ReservedBits, opcode: Opcode) -> Bool {
        reservedBits.permits(bits, opcode: opcode)
    }

    /// Whether `frame` carries only the reserved bits the active extensions allow.
    public func allows(_ frame: Frame) -> Bool {
        allowsReservedBits(frame.reservedBits, opcode: frame.opcode)
    }

    /// Runs a received message through the sessions in reverse order.
    /// - Parameters:
    ///   - message: the message as reassembled from its frames.
    ///   - maxLength: the largest payload any session may produce.
    /// - Throws: ``ExtensionError/messageTooLarge(extension:limit:)`` (close with 1009),
    ///   ``ExtensionError/processingFailed(extension:reason:)`` (close with 1010), or
    ///   ``ExtensionError/pipelineClosed``.
    public func processIncoming(_ message: Message, maxLength: Int) throws(ExtensionError) -> Message {
        guard !isClosed else { throw .pipelineClosed }
        var current = message
        for stage in stages.reversed() {
            do {
                current = try stage.session.processIncomingMessage(current, maxLength: maxLength)
            } catch {
                throw Self.wrap(error, from: stage)
            }
        }
        return current
    }

    /// Runs a message to be sent through the sessions in order.
    /// - Throws: ``ExtensionError/processingFailed(extension:reason:)`` (close with 1010) or
    ///   ``ExtensionError/pipelineClosed``.
    public func processOutgoing(_ message: Message) throws(ExtensionError) -> Message {
        guard !isClosed else { throw .pipelineClosed }
        var current = message
        for stage in stages {
            do {
                current = try stage.session.processOutgoingMessage(current)
            } catch {
                throw Self.wrap(error, from: stage)
            }
        }
        return current
    }

    /// Asks every session to give back what it holds only to go faster, between messages of a
    /// connection that has been idle (``ExtensionSession/releaseIdleState()``). Does nothing
    /// once closed.
    public func releaseIdleState() {
        guard !isClosed else { return }
        for stage in stages { stage.session.releaseIdleState() }
    }

    /// Closes every session exactly once; later calls do nothing.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for stage in stages { stage.session.close() }
    }

    private static func wrap(_ error: any Error, from stage: Stage) -> ExtensionError {
        if let tooLarge = error as? ExtensionMessageTooLarge {
            return .messageTooLarge(extension: stage.name, limit: tooLarge.limit)
        }
        return .processingFailed(extension: stage.name, reason: String(describing: error))
    }
}
