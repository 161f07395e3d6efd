import FayeTestSupport
import NIOCore
import Testing
import WebSocketDriver
import WebSocketExtensions

@testable import FayeWebSocket

/// `WebSocketOptions.extensionIdleRelease` in virtual time: the negotiated extensions are asked
/// to release their idle state once a whole period passed without a message, sent or received,
/// and only then (between one and two periods after the last message).
@Suite("Extension idle release in virtual time")
struct ExtensionIdleReleaseTests {
    static let period = TimeAmount.milliseconds(100)

    static func connect(release: Duration?) async throws -> (EmbeddedServer, IdleCounter) {
        let counter = IdleCounter()
        var options = WebSocketOptions()
        options.extensions = [CountingIdleExtension(counter: counter)]
        options.extensionIdleRelease = release
        let server = try await EmbeddedServer.connect(options: options)
        try await server.receive(WebSocketHandshakes.request(extra: [("Sec-WebSocket-Extensions", "x-idle-count")]))
        let response = try await server.response()
        #expect(response.status == 101)
        _ = try await server.sockets.next(timeout: .seconds(5), "the server's WebSocket")
        return (server, counter)
    }

    @Test("released one idle period after the check that saw the last message, once")
    func releasedOnceIdle() async throws {
        let (server, counter) = try await Self.connect(release: .milliseconds(100))
        try await server.receive(WebSocketHandshakes.maskedText("hello"))
        #expect(server.takeFrames().map(\.payload) == [Array("hello".utf8)])
        // The first check (100 ms) sees the message; the second (200 ms) finds none.
        await server.advance(by: .milliseconds(100))
        #expect(counter.releases.current == 0)
        await server.advance(by: .milliseconds(99))
        #expect(counter.releases.current == 0)
        await server.advance(by: .milliseconds(1))
        #expect(counter.releases.current == 1)
        // Idle on: the timer stopped, nothing more is released.
        await server.advance(by: .seconds(10))
        #expect(counter.releases.current == 1)
        // The next message starts it again.
        try await server.receive(WebSocketHandshakes.maskedText("again"))
        await server.advance(by: .milliseconds(200))
        #expect(counter.releases.current == 2)
        await server.finish()
    }

    @Test("a connection with a message every half period is never released")
    func activeNeverReleased() async throws {
        let (server, counter) = try await Self.connect(release: .milliseconds(100))
        for number in 0..<40 {
            try await server.receive(WebSocketHandshakes.maskedText("message \(number)"))
            await server.advance(by: .milliseconds(50))
        }
        #expect(counter.releases.current == 0)
        await server.advance(by: .milliseconds(200))
        #expect(counter.releases.current == 1)
        await server.finish()
    }

    @Test("nil turns the release off")
    func off() async throws {
        let (server, counter) = try await Self.connect(release: nil)
        try await server.receive(WebSocketHandshakes.maskedText("hello"))
        await server.advance(by: .seconds(60))
        #expect(counter.releases.current == 0)
        await server.finish()
    }

    @Test("the default is five seconds")
    func defaultPeriod() {
        #expect(WebSocketOptions().extensionIdleRelease == .seconds(5))
        #expect(WebSocketOptions.defaultExtensionIdleRelease == .seconds(5))
    }
}

/// Counts `releaseIdleState()` calls across the event loop and the test.
final class IdleCounter: Sendable {
    let releases = Locked(0)
}

/// `x-idle-count`: accepts any offer, transforms nothing, counts idle releases.
struct CountingIdleExtension: WebSocketExtension {
    let counter: IdleCounter
    var name: String { "x-idle-count" }
    var reservedBits: ReservedBits { [] }

    func makeClientSession() -> (any ClientExtensionSession)? { CountingIdleSession(counter: counter) }
    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        CountingIdleSession(counter: counter)
    }
}

final class CountingIdleSession: ClientExtensionSession, ServerExtensionSession {
    let counter: IdleCounter
    init(counter: IdleCounter) { self.counter = counter }
    func generateOffer() -> [ExtensionParameters] { [[]] }
    func generateResponse() -> ExtensionParameters { [] }
    func activate(_ parameters: ExtensionParameters) throws {}
    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message { message }
    func processOutgoingMessage(_ message: Message) throws -> Message { message }
    func releaseIdleState() { counter.releases.withLock { $0 += 1 } }
    func close() {}
}
