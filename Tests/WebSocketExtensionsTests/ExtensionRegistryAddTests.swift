import Testing

@testable import WebSocketExtensions

/// `ExtensionRegistry.add`: the Ruby spec's `add` cases (1–5), adapted to Swift's types, and the
/// rest of the validation.
@Suite("ExtensionRegistry.add")
struct ExtensionRegistryAddTests {
    @Test("a valid extension is accepted, in registration order")
    func validExtension() throws {
        let log = CallLog()
        var registry = ExtensionRegistry()
        #expect(registry.isEmpty)
        try registry.add(deflate(log))
        try registry.add(reverse(log))
        #expect(!registry.isEmpty)
        #expect(registry.extensions.map(\.name) == ["deflate", "reverse"])
        // Registration creates no session.
        #expect(log.calls == [])
    }

    @Test("a name that is not a token is refused", arguments: ["", "a b", "a,b", "a;b", "é", "x\"", "a\t"])
    func invalidName(name: String) {
        var registry = ExtensionRegistry()
        let fake = FakeExtension(name: name, reservedBits: .rsv1, log: CallLog())
        #expect(throws: ExtensionRegistryError.invalidName(name)) { try registry.add(fake) }
        #expect(registry.isEmpty)
    }

    @Test("a type other than permessage is refused")
    func unsupportedType() {
        var registry = ExtensionRegistry()
        let fake = FakeExtension(
            name: "frame", type: ExtensionType(rawValue: "perframe"), reservedBits: [], log: CallLog())
        #expect(
            throws: ExtensionRegistryError.unsupportedType(name: "frame", type: ExtensionType(rawValue: "perframe"))
        ) {
            try registry.add(fake)
        }
        #expect(registry.isEmpty)
    }

    @Test(
        "reserved-bit claims outside RSV1, RSV2 and RSV3 are refused", arguments: [0x80, 0x01, 0x08, 0x0F, 0x71, 0xFF])
    func invalidReservedBits(rawValue: UInt8) {
        var registry = ExtensionRegistry()
        let fake = FakeExtension(name: "odd", reservedBits: ReservedBits(rawValue: rawValue), log: CallLog())
        #expect(throws: ExtensionRegistryError.invalidReservedBits(name: "odd", rawValue: rawValue)) {
            try registry.add(fake)
        }
        #expect(registry.isEmpty)
    }

    @Test("every combination of RSV1, RSV2 and RSV3 is a valid claim", arguments: 0...7)
    func validReservedBits(combination: Int) throws {
        var registry = ExtensionRegistry()
        let bits = ReservedBits(rawValue: UInt8(combination) << 4)
        try registry.add(FakeExtension(name: "x", reservedBits: bits, log: CallLog()))
        #expect(registry.extensions.first?.reservedBits == bits)
    }

    @Test("a second extension with the same name is refused")
    func duplicateName() throws {
        let log = CallLog()
        var registry = try makeRegistry(deflate(log))
        #expect(throws: ExtensionRegistryError.duplicateName("deflate")) {
            try registry.add(FakeExtension(name: "deflate", reservedBits: .rsv3, log: log))
        }
        #expect(registry.extensions.count == 1)
        // Names are compared exactly: tokens are case-sensitive here.
        try registry.add(FakeExtension(name: "Deflate", reservedBits: .rsv3, log: log))
        #expect(registry.extensions.map(\.name) == ["deflate", "Deflate"])
    }

    @Test("extensions that share reserved bits may both be registered")
    func conflictingBitsRegister() throws {
        let log = CallLog()
        let registry = try makeRegistry(deflate(log), tar(log), reverse(log))
        #expect(registry.extensions.map(\.name) == ["deflate", "tar", "reverse"])
    }

    @Test("the name is checked first, then the type, then the bits")
    func validationOrder() {
        var registry = ExtensionRegistry()
        let everythingWrong = FakeExtension(
            name: "a b",
            type: ExtensionType(rawValue: "x"),
            reservedBits: ReservedBits(rawValue: 0x80),
            log: CallLog()
        )
        #expect(throws: ExtensionRegistryError.invalidName("a b")) { try registry.add(everythingWrong) }
        var wrongTypeAndBits = everythingWrong
        wrongTypeAndBits.name = "ab"
        #expect(throws: ExtensionRegistryError.unsupportedType(name: "ab", type: ExtensionType(rawValue: "x"))) {
            try registry.add(wrongTypeAndBits)
        }
    }

    @Test("the default type is permessage")
    func defaultType() {
        struct Minimal: WebSocketExtension {
            var name: String { "minimal" }
            var reservedBits: ReservedBits { [] }
            func makeClientSession() -> (any ClientExtensionSession)? { nil }
            func makeServerSession(offers: [ExtensionParameters]) -> (any ServerExtensionSession)? { nil }
        }
        #expect(Minimal().type == .perMessage)
        #expect(ExtensionType.perMessage.rawValue == "permessage")
        #expect(ExtensionType.perMessage.description == "permessage")
    }

    @Test("error messages")
    func messages() {
        #expect(ExtensionRegistryError.invalidName("a b").description == #"Extension name "a b" is not a valid token"#)
        #expect(
            ExtensionRegistryError.unsupportedType(name: "x", type: ExtensionType(rawValue: "perframe")).description
                == #"Extension "x" has type "perframe"; only "permessage" is supported"#
        )
        #expect(
            ExtensionRegistryError.invalidReservedBits(name: "x", rawValue: 0x80).description
                == #"Extension "x" claims reserved bits 0x80; only RSV1 (0x40), RSV2 (0x20) and RSV3 (0x10) exist"#
        )
        #expect(
            ExtensionRegistryError.duplicateName("deflate").description
                == #"An extension with name "deflate" is already registered"#
        )
    }

    @Test("a registry is Sendable configuration shared by connections")
    func sendable() throws {
        let registry = try makeRegistry(deflate(CallLog()))
        let shared: any Sendable = registry
        #expect(shared is ExtensionRegistry)
    }
}
