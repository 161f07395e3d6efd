import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// The buffer that assembles a fragmented message: never reserved beyond `maxLength`, grown
/// without doubling once large, and dropped as soon as nothing more is parsed (1009, close,
/// transport gone), so a peer's unfinished message costs nothing after the connection ends.
@Suite struct AssemblyBoundTests {
    static let mebibyte = 1 << 20
    /// What the allocator may add to a requested capacity (`Array.capacity` reports the usable
    /// size): rounding to a page at most.
    static let allocatorRounding = 4096

    /// Whether `capacity` is the limit itself, as reserved (plus the allocator's rounding).
    static func isLimit(_ capacity: Int, _ limit: Int) -> Bool {
        capacity >= limit && capacity <= limit + allocatorRounding
    }

    static func server(maxLength: Int, extraHeaders: [String] = [], extensions: [any WebSocketExtension] = [])
        throws -> DriverHarness
    {
        var options = DriverOptions()
        options.maxLength = maxLength
        for item in extensions { try options.extensions.add(item) }
        return DriverHarness.openServer(options: options, extraHeaders: extraHeaders)
    }

    /// Frame `index` of a fragmented binary message (never final).
    static func fragment(_ index: Int, size: Int) -> [UInt8] {
        Bytes.masked(index == 0 ? 0x02 : 0x00, [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size))
    }

    @Test func capacityNeverExceedsMaxLength() throws {
        let maxLength = 4 * Self.mebibyte + 123
        let server = try Self.server(maxLength: maxLength)
        let size = 64 * 1024
        var received = 0
        for index in 0..<60 {
            server.parse(Self.fragment(index, size: size))
            received += size
            #expect(server.driver.assemblyCapacity >= received)
            #expect(server.driver.assemblyCapacity <= maxLength + Self.allocatorRounding)
            if received <= AssemblyBoundTestsLimits.geometric {
                // Doubling while small: never more than twice what arrived.
                #expect(server.driver.assemblyCapacity <= 2 * received)
            } else {
                // Past 1 MiB: reserved at the limit once, never regrown.
                #expect(Self.isLimit(server.driver.assemblyCapacity, maxLength))
            }
        }
        server.parse(Bytes.masked(0x80, [7]))
        #expect(server.events.count == 1)
        if case .message(.binary(let bytes)) = server.events.first {
            #expect(bytes.count == received + 1)
            #expect(bytes.first == 0 && bytes[size] == 1 && bytes.last == 7)
        } else {
            Issue.record("no binary message: \(server.events)")
        }
        #expect(server.driver.assemblyCapacity == 0)
    }

    @Test func smallFragmentsGrowGeometrically() throws {
        let server = try Self.server(maxLength: 1 << 26)
        var received = 0
        for index in 0..<20 {
            server.parse(Self.fragment(index, size: 100))
            received += 100
            #expect(server.driver.assemblyCapacity <= 2 * received)
        }
    }

    @Test func hugeLimitKeepsDoubling() throws {
        // A limit above 256 MiB is never reserved at once: the buffer doubles past 1 MiB.
        let server = try Self.server(maxLength: Int.max)
        var received = 0
        for index in 0..<40 {
            server.parse(Self.fragment(index, size: 64 * 1024))
            received += 64 * 1024
            #expect(server.driver.assemblyCapacity <= 2 * received + Self.allocatorRounding)
        }
        server.parse(Bytes.masked(0x80, []))
        #expect(server.events.count == 1)
    }

    @Test func finalFrameReservesExactly() throws {
        let server = try Self.server(maxLength: 1 << 26)
        server.parse(Self.fragment(0, size: 1000))
        // The final frame announces the total: 1000 + 3 MiB, reserved exactly.
        let last = Bytes.masked(0x80, [UInt8](repeating: 9, count: 3 * Self.mebibyte))
        server.parse(Array(last.prefix(100)))
        #expect(Self.isLimit(server.driver.assemblyCapacity, 1000 + 3 * Self.mebibyte))
        server.parse(Array(last.dropFirst(100)))
        #expect(server.events.count == 1)
    }

    @Test func releasedAfter1009() throws {
        let maxLength = 2 * Self.mebibyte
        let server = try Self.server(maxLength: maxLength)
        for index in 0..<31 { server.parse(Self.fragment(index, size: 64 * 1024)) }
        #expect(Self.isLimit(server.driver.assemblyCapacity, maxLength))
        // 31 × 64 KiB received: 128 KiB more passes the limit.
        server.parse(Self.fragment(31, size: 128 * 1024))
        #expect(server.errors.last?.closeCode == .messageTooBig)
        #expect(server.driver.assemblyCapacity == 0)
    }

    @Test func releasedWhenTheTransportCloses() throws {
        let server = try Self.server(maxLength: 4 * Self.mebibyte)
        for index in 0..<20 { server.parse(Self.fragment(index, size: 64 * 1024)) }
        #expect(server.driver.assemblyCapacity > 0)
        server.driver.transportClosed()
        #expect(server.driver.assemblyCapacity == 0)
    }

    @Test func releasedOnACloseFrameMidMessage() throws {
        let server = try Self.server(maxLength: 4 * Self.mebibyte)
        for index in 0..<20 { server.parse(Self.fragment(index, size: 64 * 1024)) }
        server.parse(Bytes.masked(0x88, [0x03, 0xE8]))
        #expect(server.events.last == .close(1000, ""))
        #expect(server.driver.assemblyCapacity == 0)
    }

    @Test func releaseIdleStateReachesTheSessions() throws {
        let log = IdleLog()
        let server = try Self.server(
            maxLength: 1000, extraHeaders: ["Sec-WebSocket-Extensions: x-idle"],
            extensions: [IdleRecordingExtension(log: log)])
        #expect(server.driver.extensions == ["x-idle"])
        server.driver.releaseIdleState()
        server.driver.releaseIdleState()
        #expect(log.releases == 2)
        server.driver.transportClosed()
        server.driver.releaseIdleState()
        #expect(log.releases == 2)
    }

    @Test func releaseIdleStateWithoutExtensionsDoesNothing() throws {
        let server = try Self.server(maxLength: 1000)
        server.driver.releaseIdleState()
        server.parse(Bytes.masked(0x81, Bytes.text("still fine")))
        #expect(server.events == [.message(.text("still fine"))])
    }
}

enum AssemblyBoundTestsLimits {
    static let geometric = IncomingMessage.geometricGrowthLimit
}

/// Counts `releaseIdleState()` calls.
final class IdleLog: @unchecked Sendable {
    var releases = 0
}

/// `x-idle`: accepts any offer, transforms nothing, counts idle releases.
struct IdleRecordingExtension: WebSocketExtension {
    let log: IdleLog
    var name: String { "x-idle" }
    var reservedBits: ReservedBits { [] }

    func makeClientSession() -> (any ClientExtensionSession)? { IdleRecordingSession(log: log) }
    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        IdleRecordingSession(log: log)
    }
}

final class IdleRecordingSession: ClientExtensionSession, ServerExtensionSession {
    let log: IdleLog
    init(log: IdleLog) { self.log = log }
    func generateOffer() -> [ExtensionParameters] { [[]] }
    func generateResponse() -> ExtensionParameters { [] }
    func activate(_ parameters: ExtensionParameters) throws {}
    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message { message }
    func processOutgoingMessage(_ message: Message) throws -> Message { message }
    func releaseIdleState() { log.releases += 1 }
    func close() {}
}
