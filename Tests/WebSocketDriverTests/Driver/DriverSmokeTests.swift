import Testing
import WebSocketExtensions

@testable import WebSocketDriver

@Suite struct DriverSmokeTests {
    @Test func serverHandshakeAndEcho() throws {
        let harness = DriverHarness { Driver.server(output: $0) }
        harness.driver.onConnect = { [unowned harness] _ in harness.driver.start() }
        harness.parse(Array(upgradeRequest().utf8) + Bytes.masked(0x81, Array("Hello".utf8)))
        #expect(harness.writtenText.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(harness.writtenText.contains("Sec-WebSocket-Accept: \(sampleAccept)\r\n"))
        #expect(harness.events == [.open, .message(.text("Hello"))])
    }

    @Test func clientAndServerTalkInMemory() throws {
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        let server = Driver.server { toClient.append(contentsOf: $0) }
        let client = try Driver.client(url: "ws://localhost:9000/x?y=1") { toServer.append(contentsOf: $0) }
        var received: [WebSocketMessage] = []
        var serverReceived: [WebSocketMessage] = []
        // Unowned: the driver keeps its callbacks, so capturing it strongly would be a cycle.
        server.onConnect = { [unowned server] _ in server.start() }
        server.onMessage = { [unowned server] message in
            serverReceived.append(message)
            server.send(message)
        }
        client.onMessage = { received.append($0) }
        client.text("queued")
        client.start()
        for _ in 0..<4 {
            let a = toServer
            toServer = []
            server.parse(a)
            let b = toClient
            toClient = []
            client.parse(b)
        }
        #expect(client.readyState == .open)
        #expect(server.readyState == .open)
        client.binary([1, 2, 3])
        server.parse(toServer)
        toServer = []
        client.parse(toClient)
        toClient = []
        #expect(received == [.text("queued"), .binary([1, 2, 3])])
        #expect(serverReceived == [.text("queued"), .binary([1, 2, 3])])
        var closes: [CloseEvent] = []
        client.onClose = { closes.append($0) }
        server.onClose = { closes.append($0) }
        client.close(code: CloseCode(4000), reason: "bye")
        server.parse(toServer)
        client.parse(toClient)
        #expect(
            closes == [
                CloseEvent(code: CloseCode(4000), reason: "bye"), CloseEvent(code: CloseCode(4000), reason: "bye"),
            ])
    }
}
