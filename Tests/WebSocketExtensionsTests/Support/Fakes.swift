import Foundation

@testable import WebSocketExtensions

/// One observable call into a fake extension or session, tagged with the extension's name.
enum Call: Equatable, CustomStringConvertible {
    case makeClientSession(String)
    case generateOffer(String)
    case activate(String, ExtensionParameters)
    case makeServerSession(String, [ExtensionParameters])
    case generateResponse(String)
    case incoming(String)
    case outgoing(String)
    case close(String)

    var description: String {
        switch self {
        case .makeClientSession(let name): return "\(name).makeClientSession"
        case .generateOffer(let name): return "\(name).generateOffer"
        case .activate(let name, let parameters): return "\(name).activate(\(parameters))"
        case .makeServerSession(let name, let offers): return "\(name).makeServerSession(\(offers))"
        case .generateResponse(let name): return "\(name).generateResponse"
        case .incoming(let name): return "\(name).incoming"
        case .outgoing(let name): return "\(name).outgoing"
        case .close(let name): return "\(name).close"
        }
    }
}

/// The calls of one test, in order. Each test owns its log; the lock only satisfies `Sendable`.
final class CallLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var storage: [Call] = []

    func record(_ call: Call) {
        lock.lock()
        defer { lock.unlock() }
        storage.append(call)
    }

    var calls: [Call] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    /// How many times `call` was recorded.
    func count(_ call: Call) -> Int {
        calls.filter { $0 == call }.count
    }

    /// The names of the extensions whose sessions were closed, in closing order.
    var closed: [String] {
        calls.compactMap { call in
            if case .close(let name) = call { return name }
            return nil
        }
    }

    /// The names of the sessions that processed an incoming message, in order.
    var incoming: [String] {
        calls.compactMap { call in
            if case .incoming(let name) = call { return name }
            return nil
        }
    }

    /// The names of the sessions that processed an outgoing message, in order.
    var outgoing: [String] {
        calls.compactMap { call in
            if case .outgoing(let name) = call { return name }
            return nil
        }
    }

    /// The parameters each `activate` received, in order.
    var activations: [ExtensionParameters] {
        calls.compactMap { call in
            if case .activate(_, let parameters) = call { return parameters }
            return nil
        }
    }
}

/// An error a fake session throws, described by its message.
struct FakeFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// How a fake extension and its sessions behave.
struct FakeBehaviour: Sendable {
    /// Whether `makeClientSession()` returns a session.
    var createsClientSession = true
    /// What the client session's `generateOffer()` returns.
    var offers: [ExtensionParameters] = [[]]
    /// When set, the client session's `activate` throws a ``FakeFailure`` with this message.
    var refusal: String?
    /// What the server session's `generateResponse()` returns; `nil` makes `makeServerSession`
    /// decline.
    var response: ExtensionParameters? = []
    /// When set, incoming processing throws a ``FakeFailure`` with this message.
    var incomingFailure: String?
    /// When set, outgoing processing throws a ``FakeFailure`` with this message.
    var outgoingFailure: String?
    /// When set, incoming processing throws ``ExtensionMessageTooLarge`` with the given `maxLength`.
    var incomingTooLarge = false
}

/// A fake extension that records every call in a ``CallLog``.
///
/// Its sessions append `>name` to outgoing payloads and `<name` to incoming ones, so the payload
/// shows which sessions ran and in what order.
struct FakeExtension: WebSocketExtension {
    var name: String
    var type: ExtensionType = .perMessage
    var reservedBits: ReservedBits
    var log: CallLog
    var behaviour = FakeBehaviour()

    func makeClientSession() -> (any ClientExtensionSession)? {
        log.record(.makeClientSession(name))
        guard behaviour.createsClientSession else { return nil }
        return FakeSession(name: name, log: log, behaviour: behaviour)
    }

    func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? {
        log.record(.makeServerSession(name, offers))
        guard behaviour.response != nil else { return nil }
        return FakeSession(name: name, log: log, behaviour: behaviour)
    }
}

/// The session of a ``FakeExtension``; it serves as both client and server session.
final class FakeSession: ClientExtensionSession, ServerExtensionSession {
    let name: String
    let log: CallLog
    let behaviour: FakeBehaviour

    init(name: String, log: CallLog, behaviour: FakeBehaviour) {
        self.name = name
        self.log = log
        self.behaviour = behaviour
    }

    func generateOffer() -> [ExtensionParameters] {
        log.record(.generateOffer(name))
        return behaviour.offers
    }

    func activate(_ parameters: ExtensionParameters) throws {
        log.record(.activate(name, parameters))
        if let refusal = behaviour.refusal { throw FakeFailure(message: refusal) }
    }

    func generateResponse() -> ExtensionParameters {
        log.record(.generateResponse(name))
        return behaviour.response ?? []
    }

    func processIncomingMessage(_ message: Message, maxLength: Int) throws -> Message {
        log.record(.incoming(name))
        if let failure = behaviour.incomingFailure { throw FakeFailure(message: failure) }
        if behaviour.incomingTooLarge { throw ExtensionMessageTooLarge(limit: maxLength) }
        var result = message
        result.payload += Array("<\(name)".utf8)
        return result
    }

    func processOutgoingMessage(_ message: Message) throws -> Message {
        log.record(.outgoing(name))
        if let failure = behaviour.outgoingFailure { throw FakeFailure(message: failure) }
        var result = message
        result.payload += Array(">\(name)".utf8)
        return result
    }

    func close() {
        log.record(.close(name))
    }
}

/// `deflate`, `tar` (both RSV1, so they conflict) and `reverse` (RSV2), as in the Ruby spec.
func deflate(_ log: CallLog, _ behaviour: FakeBehaviour = .init()) -> FakeExtension {
    FakeExtension(name: "deflate", reservedBits: .rsv1, log: log, behaviour: behaviour)
}

func tar(_ log: CallLog, _ behaviour: FakeBehaviour = .init()) -> FakeExtension {
    FakeExtension(name: "tar", reservedBits: .rsv1, log: log, behaviour: behaviour)
}

func reverse(_ log: CallLog, _ behaviour: FakeBehaviour = .init()) -> FakeExtension {
    FakeExtension(name: "reverse", reservedBits: .rsv2, log: log, behaviour: behaviour)
}

/// A registry holding `extensions` in order.
func makeRegistry(_ extensions: FakeExtension...) throws -> ExtensionRegistry {
    var registry = ExtensionRegistry()
    for fake in extensions { try registry.add(fake) }
    return registry
}

/// A text message with `text` as its payload.
func textMessage(_ text: String, reservedBits: ReservedBits = []) -> Message {
    Message(opcode: .text, reservedBits: reservedBits, payload: Array(text.utf8))
}

extension Message {
    /// The payload read as UTF-8.
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A bare flag parameter, `name`.
func flag(_ name: String) -> ExtensionParameter {
    ExtensionParameter(name)
}

/// A parameter with a value, `name=value`.
func param(_ name: String, _ value: String) -> ExtensionParameter {
    ExtensionParameter(name, value: value)
}

/// The position and expectation of a parse failure, or `nil` if `header` parses.
func parseFailure(_ header: String) -> (position: Int, expected: String)? {
    do {
        _ = try ExtensionHeader.parse(header)
        return nil
    } catch {
        guard case .malformed(_, let position, let expected) = error else { return nil }
        return (position, expected)
    }
}
