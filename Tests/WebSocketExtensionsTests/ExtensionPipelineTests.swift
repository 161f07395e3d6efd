import Testing

@testable import WebSocketExtensions

/// A server pipeline of deflate (RSV1) then reverse (RSV2), with the given behaviours.
func serverPipeline(
    log: CallLog,
    deflate deflateBehaviour: FakeBehaviour = .init(),
    reverse reverseBehaviour: FakeBehaviour = .init()
) throws -> ExtensionPipeline {
    let registry = try makeRegistry(deflate(log, deflateBehaviour), reverse(log, reverseBehaviour))
    return try registry.negotiateServer(offerHeader: "reverse, deflate").pipeline
}

/// The Ruby spec's client message-processing cases (25–31).
@Suite("Pipeline: client message processing")
struct ClientPipelineTests {
    func clientPipeline(
        log: CallLog,
        response: String,
        deflate deflateBehaviour: FakeBehaviour = .init(),
        reverse reverseBehaviour: FakeBehaviour = .init()
    ) throws -> ExtensionPipeline {
        let registry = try makeRegistry(deflate(log, deflateBehaviour), reverse(log, reverseBehaviour))
        return try registry.makeClientNegotiation().activate(responseHeader: response)
    }

    @Test("incoming messages pass the sessions in reverse server order")
    func incomingReverse() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(log: log, response: "deflate, reverse")
        let result = try pipeline.processIncoming(textMessage("m"), maxLength: 1000)
        #expect(log.incoming == ["reverse", "deflate"])
        #expect(result.text == "m<reverse<deflate")
    }

    @Test("an incoming failure becomes processingFailed with the extension's name")
    func incomingFailure() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(
            log: log,
            response: "deflate, reverse",
            reverse: FakeBehaviour(incomingFailure: "bad data")
        )
        let expected = ExtensionError.processingFailed(extension: "reverse", reason: "bad data")
        #expect(throws: expected) { try pipeline.processIncoming(textMessage("m"), maxLength: 1000) }
        #expect(expected.description == "reverse: bad data")
    }

    @Test("sessions after an incoming failure are not called")
    func incomingStops() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(
            log: log,
            response: "deflate, reverse",
            reverse: FakeBehaviour(incomingFailure: "bad data")
        )
        _ = try? pipeline.processIncoming(textMessage("m"), maxLength: 1000)
        #expect(log.incoming == ["reverse"])
    }

    @Test("outgoing messages pass the sessions in server order")
    func outgoingForward() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(log: log, response: "deflate, reverse")
        let result = try pipeline.processOutgoing(textMessage("m"))
        #expect(log.outgoing == ["deflate", "reverse"])
        #expect(result.text == "m>deflate>reverse")
    }

    @Test("outgoing order is the server's, not the client's registration order")
    func outgoingServerOrder() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(log: log, response: "reverse, deflate")
        let result = try pipeline.processOutgoing(textMessage("m"))
        #expect(log.outgoing == ["reverse", "deflate"])
        #expect(result.text == "m>reverse>deflate")
        _ = try pipeline.processIncoming(textMessage("n"), maxLength: 10)
        #expect(log.incoming == ["deflate", "reverse"])
    }

    @Test("an outgoing failure becomes processingFailed with the extension's name")
    func outgoingFailure() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(
            log: log,
            response: "deflate, reverse",
            deflate: FakeBehaviour(outgoingFailure: "cannot compress")
        )
        #expect(throws: ExtensionError.processingFailed(extension: "deflate", reason: "cannot compress")) {
            try pipeline.processOutgoing(textMessage("m"))
        }
    }

    @Test("sessions after an outgoing failure are not called")
    func outgoingStops() throws {
        let log = CallLog()
        let pipeline = try clientPipeline(
            log: log,
            response: "deflate, reverse",
            deflate: FakeBehaviour(outgoingFailure: "cannot compress")
        )
        _ = try? pipeline.processOutgoing(textMessage("m"))
        #expect(log.outgoing == ["deflate"])
    }
}

@Suite("Pipeline: processing")
struct ExtensionPipelineProcessingTests {
    @Test("a server pipeline runs outgoing in registration order, incoming in reverse")
    func serverOrder() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log)
        #expect(pipeline.extensionNames == ["deflate", "reverse"])
        #expect(try pipeline.processOutgoing(textMessage("m")).text == "m>deflate>reverse")
        #expect(try pipeline.processIncoming(textMessage("m"), maxLength: 100).text == "m<reverse<deflate")
    }

    @Test("each session receives the previous one's output and the opcode and bits pass through")
    func chaining() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log)
        let message = Message(opcode: .binary, reservedBits: [.rsv1, .rsv2], payload: [0, 1])
        let result = try pipeline.processIncoming(message, maxLength: 100)
        #expect(result.opcode == .binary)
        #expect(result.reservedBits == [.rsv1, .rsv2])
        #expect(result.payload == [0, 1] + Array("<reverse<deflate".utf8))
    }

    @Test("an empty pipeline returns the message unchanged")
    func emptyPipeline() throws {
        let pipeline = ExtensionPipeline()
        #expect(pipeline.isEmpty)
        #expect(pipeline.extensionNames == [])
        #expect(pipeline.reservedBits == [])
        let message = Message(opcode: .binary, payload: [1, 2, 3])
        #expect(try pipeline.processIncoming(message, maxLength: 0) == message)
        #expect(try pipeline.processOutgoing(message) == message)
    }

    @Test("a session exceeding the length limit gives messageTooLarge with that limit")
    func tooLarge() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log, deflate: FakeBehaviour(incomingTooLarge: true))
        let expected = ExtensionError.messageTooLarge(extension: "deflate", limit: 4096)
        #expect(throws: expected) { try pipeline.processIncoming(textMessage("m"), maxLength: 4096) }
        #expect(expected.description == "deflate: message exceeds the maximum length of 4096 bytes")
        #expect(log.incoming == ["reverse", "deflate"])
    }

    @Test("other errors, even ones that look like ours, become processingFailed")
    func otherErrors() throws {
        final class Thrower: ClientExtensionSession, ServerExtensionSession {
            let error: any Error
            init(_ error: any Error) { self.error = error }
            func generateOffer() -> [ExtensionParameters] { [[]] }
            func activate(_ parameters: ExtensionParameters) throws {}
            func generateResponse() -> ExtensionParameters { [] }
            func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message { throw error }
            func processOutgoingMessage(_ message: Message) throws -> Message { throw error }
            func close() {}
        }
        let stage = { (error: any Error) in
            ExtensionPipeline(stages: [.init(name: "x", reservedBits: .rsv1, session: Thrower(error))])
        }
        #expect(throws: ExtensionError.processingFailed(extension: "x", reason: "The extension pipeline is closed")) {
            try stage(ExtensionError.pipelineClosed).processIncoming(textMessage("m"), maxLength: 1)
        }
        #expect(throws: ExtensionError.processingFailed(extension: "x", reason: "boom")) {
            try stage(FakeFailure(message: "boom")).processOutgoing(textMessage("m"))
        }
        // A session that reports a length limit on the way out is reported the same way as on the way in.
        #expect(throws: ExtensionError.messageTooLarge(extension: "x", limit: 7)) {
            try stage(ExtensionMessageTooLarge(limit: 7)).processOutgoing(textMessage("m"))
        }
    }

    @Test("a failed message does not break the pipeline for the next one")
    func failureIsPerMessage() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log, reverse: FakeBehaviour(outgoingFailure: "no"))
        #expect(throws: ExtensionError.self) { try pipeline.processOutgoing(textMessage("a")) }
        #expect(try pipeline.processIncoming(textMessage("b"), maxLength: 10).text == "b<reverse<deflate")
    }
}

@Suite("Pipeline: reserved bits")
struct ExtensionPipelineReservedBitsTests {
    static let dataOpcodes: [Opcode] = [.text, .binary]
    static let otherOpcodes: [Opcode] =
        [.continuation, .close, .ping, .pong]
        + [3, 7, 11, 15].compactMap {
            Opcode(rawValue: $0)
        }

    @Test("an empty pipeline allows no reserved bit on any frame")
    func emptyPipeline() {
        let pipeline = ExtensionPipeline()
        for raw in UInt8(0)...15 {
            let opcode = Opcode(headerByte: raw)
            #expect(pipeline.allowsReservedBits([], opcode: opcode))
            for bits in [ReservedBits.rsv1, .rsv2, .rsv3, .all] {
                #expect(!pipeline.allowsReservedBits(bits, opcode: opcode))
            }
        }
    }

    @Test("text and binary frames may carry the bits of active extensions only")
    func dataFrames() throws {
        let pipeline = try serverPipeline(log: CallLog())
        #expect(pipeline.reservedBits == [.rsv1, .rsv2])
        for opcode in Self.dataOpcodes {
            #expect(pipeline.allowsReservedBits([], opcode: opcode))
            #expect(pipeline.allowsReservedBits(.rsv1, opcode: opcode))
            #expect(pipeline.allowsReservedBits(.rsv2, opcode: opcode))
            #expect(pipeline.allowsReservedBits([.rsv1, .rsv2], opcode: opcode))
            #expect(!pipeline.allowsReservedBits(.rsv3, opcode: opcode))
            #expect(!pipeline.allowsReservedBits([.rsv1, .rsv3], opcode: opcode))
            #expect(!pipeline.allowsReservedBits(.all, opcode: opcode))
        }
    }

    @Test("ReservedBits.permits: any bits in use on a data frame, none elsewhere, none unused")
    func permitsRule() {
        let sets: [ReservedBits] = [[], .rsv1, .rsv2, .rsv3, [.rsv1, .rsv2], [.rsv1, .rsv3], .all]
        for raw in UInt8(0)...15 {
            let opcode = Opcode(headerByte: raw)
            for inUse in sets {
                for bits in sets {
                    let expected = bits.isEmpty || (Self.dataOpcodes.contains(opcode) && inUse.isSuperset(of: bits))
                    #expect(inUse.permits(bits, opcode: opcode) == expected, "\(inUse) \(bits) \(opcode)")
                }
            }
        }
    }

    @Test("only the accepted extension's bit is allowed")
    func singleExtension() throws {
        let log = CallLog()
        let pipeline = try makeRegistry(deflate(log), reverse(log)).negotiateServer(offerHeader: "deflate").pipeline
        #expect(pipeline.allowsReservedBits(.rsv1, opcode: .text))
        #expect(!pipeline.allowsReservedBits(.rsv2, opcode: .text))
        #expect(!pipeline.allowsReservedBits([.rsv1, .rsv2], opcode: .binary))
    }

    @Test("continuation and control frames may carry no reserved bit")
    func otherFrames() throws {
        let pipeline = try serverPipeline(log: CallLog())
        for opcode in Self.otherOpcodes {
            #expect(pipeline.allowsReservedBits([], opcode: opcode))
            #expect(!pipeline.allowsReservedBits(.rsv1, opcode: opcode), "\(opcode)")
            #expect(!pipeline.allowsReservedBits(.rsv2, opcode: opcode), "\(opcode)")
        }
    }

    @Test("allows(frame) checks the frame's bits and opcode")
    func frames() throws {
        let pipeline = try serverPipeline(log: CallLog())
        #expect(pipeline.allows(Frame(reservedBits: .rsv1, opcode: .text, payload: [1])))
        #expect(pipeline.allows(Frame(isFinal: false, reservedBits: [.rsv1, .rsv2], opcode: .binary)))
        #expect(!pipeline.allows(Frame(reservedBits: .rsv3, opcode: .text)))
        #expect(!pipeline.allows(Frame(reservedBits: .rsv1, opcode: .continuation)))
        #expect(!pipeline.allows(Frame(reservedBits: .rsv1, opcode: .ping)))
        #expect(pipeline.allows(Frame(opcode: .close)))
    }

    @Test("bits outside RSV1-3 are never allowed")
    func invalidBits() throws {
        let pipeline = try serverPipeline(log: CallLog())
        #expect(!pipeline.allowsReservedBits(ReservedBits(rawValue: 0x80), opcode: .text))
        #expect(!pipeline.allowsReservedBits(ReservedBits(rawValue: 0x41), opcode: .text))
    }
}

@Suite("Pipeline: close")
struct ExtensionPipelineCloseTests {
    @Test("close reaches each session exactly once, even when called twice")
    func closeOnce() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log)
        pipeline.close()
        #expect(log.closed == ["deflate", "reverse"])
        pipeline.close()
        #expect(log.closed == ["deflate", "reverse"])
    }

    @Test("processing after close throws pipelineClosed and reaches no session")
    func processingAfterClose() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log)
        pipeline.close()
        #expect(throws: ExtensionError.pipelineClosed) { try pipeline.processIncoming(textMessage("m"), maxLength: 10) }
        #expect(throws: ExtensionError.pipelineClosed) { try pipeline.processOutgoing(textMessage("m")) }
        #expect(log.incoming == [])
        #expect(log.outgoing == [])
        #expect(ExtensionError.pipelineClosed.description == "The extension pipeline is closed")
    }

    @Test("an empty pipeline can be closed and is closed afterwards")
    func emptyClose() {
        let pipeline = ExtensionPipeline()
        pipeline.close()
        pipeline.close()
        #expect(throws: ExtensionError.pipelineClosed) { try pipeline.processOutgoing(textMessage("m")) }
    }

    @Test("close after a processing failure still closes every session")
    func closeAfterFailure() throws {
        let log = CallLog()
        let pipeline = try serverPipeline(log: log, reverse: FakeBehaviour(incomingFailure: "x"))
        #expect(throws: ExtensionError.self) { try pipeline.processIncoming(textMessage("m"), maxLength: 10) }
        pipeline.close()
        #expect(log.closed == ["deflate", "reverse"])
    }
}

@Suite("Pipeline: release") struct ExtensionPipelineReleaseTests {
    @Test("a pipeline dropped without close() still closes its sessions once")
    func dropClosesSessions() throws {
        let fixture = ServerFixture()
        do {
            let negotiation = try fixture.negotiate("deflate")
            #expect(!negotiation.pipeline.isEmpty)
        }
        #expect(fixture.log.calls.filter { $0 == .close("deflate") }.count == 1)
    }
}
