import FayeWebSocket
import WebSocketDriver

/// The battery's checks, in the order they run: echo at every size, then the protocol checks.
extension Battery {
    static var checks: [Check] { echoChecks + protocolChecks }

    static var echoChecks: [Check] {
        var checks: [Check] = []
        for (kind, isText) in [("text", true), ("binary", false)] {
            for size in Payloads.echoSizes {
                let timeout: Duration = size >= 1 << 20 ? .seconds(60) : .seconds(15)
                checks.append(
                    Check(name: "echo \(kind) \(size)", timeout: timeout) { battery, timeout throws(CheckFailure) in
                        let seed = UInt64(size) &* 31 &+ (isText ? 1 : 2)
                        let message: WebSocketMessage =
                            isText
                            ? .text(Payloads.text(count: size, seed: seed))
                            : .binary(Payloads.binary(count: size, seed: seed))
                        try await battery.withSession("/echo", timeout: timeout) { session throws(CheckFailure) in
                            try await expectEcho(message, on: &session)
                            try await expectCleanClose(&session)
                        }
                        return ("\(size) bytes echoed", [:])
                    })
            }
        }
        return checks
    }

    static var protocolChecks: [Check] {
        [
            Check(name: "utf8 multibyte", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                let long = String(repeating: Payloads.multibyteText + "\n", count: 4000)
                try await battery.withSession("/echo", timeout: timeout) { session throws(CheckFailure) in
                    try await expectEcho(.text(Payloads.multibyteText), on: &session)
                    try await expectEcho(.text(long), on: &session)
                    try await expectCleanClose(&session)
                }
                return ("2-, 3- and 4-byte characters echoed (\(long.utf8.count) bytes in the long message)", [:])
            },
            Check(name: "fragmented utf8 received", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                try await battery.withSession("/fragmented", timeout: timeout) { session throws(CheckFailure) in
                    let received = try await session.next()
                    let expected = WebSocketMessage.text(Payloads.fragmentedText)
                    guard received == expected else {
                        throw CheckFailure("reassembled message differs: \(compare(expected, received))")
                    }
                    try await expectCleanClose(&session)
                }
                return ("a text message fragmented inside characters was reassembled", [:])
            },
            Check(name: "ping pong", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                let payload = Array("client-ping \u{2603} 0123456789".utf8)
                try await battery.withSession("/echo", timeout: timeout) { session throws(CheckFailure) in
                    try await session.ping(payload)
                    try await expectCleanClose(&session)
                }
                return ("the pong matched the ping's \(payload.count)-byte payload", [:])
            },
            Check(name: "server ping answered", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                try await battery.withSession("/ping", timeout: timeout) { session throws(CheckFailure) in
                    let received = try await session.next()
                    guard received == .text(Payloads.serverPingConfirmation) else {
                        throw CheckFailure("the server did not confirm our pong: got \(received)")
                    }
                    try await expectCleanClose(&session)
                }
                return ("the server's ping got a pong with its payload", [:])
            },
            Check(name: "close 1000 with reason", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                let reason = "bye \u{2603}"
                let event = try await battery.withSession("/echo", timeout: timeout) {
                    session throws(CheckFailure) in
                    try await expectEcho(.text("before closing"), on: &session)
                    return try await session.close(code: 1000, reason: reason)
                }
                guard event.code == .normalClosure else {
                    throw CheckFailure("expected the peer to echo 1000, got \(event.code.rawValue)")
                }
                guard event.reason == reason else {
                    throw CheckFailure("1000 echoed, but the reason came back as '\(event.reason)'")
                }
                return ("the peer echoed 1000 '\(reason)'", [:])
            },
            Check(name: "subprotocol", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                let offered = ["x-unknown", "chat.v2", "chat.v1"]
                let selected = try await battery.withSession("/echo", timeout: timeout, protocols: offered) {
                    session throws(CheckFailure) in
                    let selected = session.socket.protocol
                    try await expectEcho(.text("with a subprotocol"), on: &session)
                    try await expectCleanClose(&session)
                    return selected
                }
                guard selected == "chat.v2" else {
                    throw CheckFailure(
                        "offered \(offered.joined(separator: ", ")): expected chat.v2, got '\(selected)'")
                }
                return ("offered \(offered.joined(separator: ", ")); the server selected chat.v2", [:])
            },
            Check(name: "deflate negotiated", timeout: .seconds(15)) { battery, timeout throws(CheckFailure) in
                let header = try await battery.withSession("/echo", timeout: timeout) { session throws(CheckFailure) in
                    let header = session.socket.handshakeResponse?.headers.first("Sec-WebSocket-Extensions") ?? ""
                    let extensions = session.socket.extensions
                    guard extensions.contains("permessage-deflate") else {
                        throw CheckFailure("not negotiated: response '\(header)', extensions \(extensions)")
                    }
                    try await expectEcho(.text(Payloads.compressibleText(count: 64 << 10)), on: &session)
                    try await expectEcho(.binary(Payloads.binary(count: 64 << 10, seed: 7)), on: &session)
                    try await expectCleanClose(&session)
                    return header
                }
                for parameter in battery.expectedExtensionParameters where !header.contains(parameter) {
                    throw CheckFailure("the response '\(header)' lacks \(parameter)")
                }
                return ("response: \(header)", [:])
            },
            Check(name: "deflate on the wire", timeout: .seconds(30)) { battery, timeout throws(CheckFailure) in
                let text = Payloads.compressibleText(count: 256 << 10)
                let binary = Array(Payloads.compressibleText(count: 256 << 10).utf8)
                try await battery.withSession("/echo", timeout: timeout, throughRelay: true) {
                    session throws(CheckFailure) in
                    guard session.socket.extensions.contains("permessage-deflate") else {
                        throw CheckFailure("permessage-deflate not negotiated through the relay")
                    }
                    try await expectEcho(.text(text), on: &session)
                    try await expectEcho(.binary(binary), on: &session)
                    try await expectCleanClose(&session)
                }
                return ("2 compressible messages echoed through the counting relay", ["payload_bytes": 512 << 10])
            },
            Check(name: "burst of 1000 in order", timeout: .seconds(30)) { battery, timeout throws(CheckFailure) in
                try await battery.withSession("/echo", timeout: timeout) { session throws(CheckFailure) in
                    for index in 0..<1000 {
                        let message: WebSocketMessage =
                            index % 2 == 0 ? .text("burst \(index)") : .binary(Array("burst \(index)".utf8))
                        guard session.socket.send(message) else { throw CheckFailure("send \(index) refused") }
                    }
                    for index in 0..<1000 {
                        let received = try await session.next()
                        let expected: WebSocketMessage =
                            index % 2 == 0 ? .text("burst \(index)") : .binary(Array("burst \(index)".utf8))
                        guard received == expected else {
                            throw CheckFailure("message \(index) out of order or changed: got \(received)")
                        }
                    }
                    try await expectCleanClose(&session)
                }
                return ("1000 messages sent without waiting came back in order", [:])
            },
            Check(name: "invalid utf8 closed with 1007", timeout: .seconds(15)) {
                battery, timeout throws(CheckFailure) in
                let event = try await battery.withSession("/invalid-utf8", timeout: timeout) {
                    session throws(CheckFailure) in
                    if let message = try? await session.next() {
                        throw CheckFailure("a message was delivered: \(message)")
                    }
                    return await session.closed()
                }
                guard event.code == .invalidPayloadData else {
                    throw CheckFailure(
                        "expected to close with 1007, closed with \(event.code.rawValue) \(event.reason)")
                }
                return ("closed with 1007 '\(event.reason)'", [:])
            },
        ]
    }
}
