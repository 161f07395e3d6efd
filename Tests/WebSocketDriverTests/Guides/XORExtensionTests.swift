import Testing
import WebSocketDriver
import WebSocketExtensions

/// Runs the `x-xor` extension of Docs/Guides/Writing-an-Extension.md between two drivers.
@Suite("Guide: writing an extension")
struct XORExtensionTests {
    /// Bytes written by each end, not yet read by the other.
    final class Wires {
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        /// Every byte the client wrote, for looking at the frames.
        var clientWrote: [UInt8] = []
    }

    /// Moves bytes between the two drivers until neither has anything left to say.
    static func pump(_ wires: Wires, server: Driver, client: Driver) {
        while !wires.toServer.isEmpty || !wires.toClient.isEmpty {
            let toServer = wires.toServer
            wires.toServer = []
            server.parse(toServer)
            let toClient = wires.toClient
            wires.toClient = []
            client.parse(toClient)
        }
    }

    @Test("both ends negotiate key=90, frames carry RSV3 and XORed payloads, messages arrive intact")
    func roundTrip() throws {
        let wires = Wires()
        let (server, client) = try makeXORDrivers(
            url: "ws://example.test/xor",
            serverOutput: { wires.toClient += $0 },
            clientOutput: {
                wires.toServer += $0
                wires.clientWrote += $0
            }
        )
        server.onConnect = { [unowned server] _ in _ = server.start() }
        server.onMessage = { [unowned server] message in _ = server.send(message) }
        var received: [WebSocketMessage] = []
        client.onMessage = { received.append($0) }
        #expect(client.start())
        let request = String(decoding: wires.toServer, as: UTF8.self)
        #expect(request.contains("Sec-WebSocket-Extensions: x-xor; key=90\r\n"))
        Self.pump(wires, server: server, client: client)
        #expect(client.readyState == .open)
        #expect(client.extensions == ["x-xor"])
        #expect(server.extensions == ["x-xor"])
        #expect(client.headers?["Sec-WebSocket-Extensions"] == "x-xor; key=90")

        wires.clientWrote = []
        #expect(client.text("hi"))
        // FIN + RSV3 + text, masked length 2, then the mask and "hi" XOR 0x5A XOR the mask.
        let frame = wires.clientWrote
        try #require(frame.count == 8)
        #expect(frame[0] == 0x91)
        #expect(frame[1] == 0x82)
        #expect([frame[6] ^ frame[2], frame[7] ^ frame[3]] == [UInt8(ascii: "h") ^ 0x5A, UInt8(ascii: "i") ^ 0x5A])
        #expect(client.binary([0, 0x5A, 0xFF]))
        Self.pump(wires, server: server, client: client)
        #expect(received == [.text("hi"), .binary([0, 0x5A, 0xFF])])
    }

    @Test("a server without the extension declines it and messages go out untransformed")
    func declined() throws {
        let wires = Wires()
        var options = DriverOptions()
        try options.extensions.add(XORExtension())
        let client = try Driver.client(url: "ws://example.test/", options: options) {
            wires.toServer += $0
            wires.clientWrote += $0
        }
        let server = Driver.server { wires.toClient += $0 }
        server.onConnect = { [unowned server] _ in _ = server.start() }
        var received: [WebSocketMessage] = []
        server.onMessage = { received.append($0) }
        #expect(client.start())
        Self.pump(wires, server: server, client: client)
        #expect(client.readyState == .open)
        #expect(client.extensions == [])
        wires.clientWrote = []
        #expect(client.text("plain"))
        #expect(wires.clientWrote.first == 0x81)
        Self.pump(wires, server: server, client: client)
        #expect(received == [.text("plain")])
    }

    @Test("the server checks the offer: only key=1...255 is accepted")
    func serverChecksTheKey() {
        let xor = XORExtension()
        #expect(xor.makeServerSession(offers: [[ExtensionParameter("key", value: 0)]]) == nil)
        #expect(xor.makeServerSession(offers: [[ExtensionParameter("key", value: 256)]]) == nil)
        #expect(xor.makeServerSession(offers: [[ExtensionParameter("other")]]) == nil)
        let session = xor.makeServerSession(offers: [[], [ExtensionParameter("key", value: 7)]])
        #expect(session?.generateResponse() == [ExtensionParameter("key", value: 7)])
    }

    @Test("the client refuses an answer with another key")
    func clientChecksTheAnswer() {
        let session = XORClientSession(key: 9)
        #expect(throws: XORNegotiationError.self) { try session.activate([ExtensionParameter("key", value: 8)]) }
        #expect(throws: Never.self) { try session.activate([ExtensionParameter("key", value: 9)]) }
    }
}
