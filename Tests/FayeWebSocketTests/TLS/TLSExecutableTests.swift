import FayeLoopbackSupport
import FayeTestSupport
import FayeWebSocket
import Foundation
import NIOPosix
import PermessageDeflate
import Testing
import WebSocketDriver

/// `faye-server --tls-cert/--tls-key` and `faye-client --ca-file/--insecure`, as built.
@Suite("TLS: executables", .allocatesMemory)
struct TLSExecutableTests {
    /// Runs `faye-server --port 0` with TLS from `identity` and gives its port to `body`.
    func withTLSFayeServer(_ identity: TestPKI.Identity, _ body: (Int) async throws -> Void) async throws {
        let server = try ChildProcess(
            try packageExecutable("faye-server"),
            ["--port", "0", "--tls-cert", identity.certificate, "--tls-key", identity.key])
        defer { server.stop() }
        let found = Locked<Int?>(nil)
        try await eventually("faye-server to listen", timeout: .seconds(10)) {
            let text = server.errorText
            guard let range = text.range(of: "faye-server listening on wss://127.0.0.1:") else {
                return !server.isRunning
            }
            let rest = text[range.upperBound...]
            guard rest.contains("\n") else { return false }
            found.withLock { $0 = Int(rest.prefix { $0.isNumber }) }
            return true
        }
        guard let port = found.current else { throw SetupError("faye-server did not start: \(server.errorText)") }
        try await body(port)
    }

    @Test("faye-server negotiates h2 and http/1.1 by ALPN, as openssl s_client sees it")
    func alpnWithOpenSSLClient() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSFayeServer(pki.server) { port in
            for (offer, expected) in [
                ("h2,http/1.1", "ALPN protocol: h2"), ("http/1.1", "ALPN protocol: http/1.1"),
                ("spdy/3", "No ALPN negotiated"),
            ] {
                let client = try ChildProcess(
                    URL(fileURLWithPath: "/usr/bin/openssl"),
                    ["s_client", "-alpn", offer, "-connect", "127.0.0.1:\(port)", "-CAfile", pki.caFile])
                client.closeInput()
                let status = try await client.waitForExit(timeout: .seconds(10))
                #expect(status == 0, "\(client.errorText)")
                #expect(client.outputText.contains(expected), "offered \(offer): \(client.outputText)")
            }
        }
    }

    @Test("faye-server --tls-cert --tls-key serves wss:// (announced as such) with deflate")
    func serverServesWSS() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSFayeServer(pki.server) { port in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var options = WebSocketOptions()
            options.extensions = [PermessageDeflate()]
            let client = RecordedSocket.connect(
                "wss://localhost:\(port)/", options: options, clientOptions: .tls(group, trusting: pki.caFile))
            try await client.expectOpen()
            #expect(client.socket.extensions == ["permessage-deflate"])
            let big = patternBytes(1 << 20)
            try await client.socket.send(.binary(big))
            #expect(try await client.nextMessage(timeout: .seconds(10)) == .binary(big))
            await client.shutdown()
            try await group.shutdownGracefully()
        }
    }

    @Test("faye-client --ca-file echoes over wss; without it verification fails; --insecure skips it")
    func clientFlags() async throws {
        let pki = try await TestPKI.shared()
        try await withTLSFayeServer(pki.server) { port in
            let trusted = try ChildProcess(
                try packageExecutable("faye-client"), ["--ca-file", pki.caFile, "wss://localhost:\(port)/"])
            defer { trusted.stop() }
            try trusted.write("over tls\n")
            try await eventually("the echo", timeout: .seconds(10)) { trusted.outputLines.count >= 1 }
            trusted.closeInput()
            #expect(try await trusted.waitForExit() == 0)
            #expect(trusted.outputLines == ["over tls"])

            let untrusting = try ChildProcess(try packageExecutable("faye-client"), ["wss://localhost:\(port)/"])
            defer { untrusting.stop() }
            #expect(try await untrusting.waitForExit() != 0)
            #expect(untrusting.errorText.contains("certificate verify failed: unable to get local issuer certificate"))

            let insecure = try ChildProcess(
                try packageExecutable("faye-client"), ["--insecure", "wss://localhost:\(port)/"])
            defer { insecure.stop() }
            try insecure.write("unverified\n")
            try await eventually("the echo", timeout: .seconds(10)) { insecure.outputLines.count >= 1 }
            insecure.closeInput()
            #expect(try await insecure.waitForExit() == 0)
            #expect(insecure.outputLines == ["unverified"])
        }
    }

    @Test("faye-server refuses --tls-cert without --tls-key, and a key that does not match")
    func serverFlagErrors() async throws {
        let pki = try await TestPKI.shared()
        let alone = try ChildProcess(
            try packageExecutable("faye-server"), ["--port", "0", "--tls-cert", pki.server.certificate])
        defer { alone.stop() }
        #expect(try await alone.waitForExit() != 0)
        #expect(alone.errorText.contains("--tls-cert and --tls-key must be given together"))

        let mismatched = try ChildProcess(
            try packageExecutable("faye-server"),
            ["--port", "0", "--tls-cert", pki.server.certificate, "--tls-key", pki.client.key])
        defer { mismatched.stop() }
        #expect(try await mismatched.waitForExit() != 0)
        #expect(
            mismatched.errorText.contains(
                "faye-server: the private key \(pki.client.key) does not match the certificate"))
        #expect(!mismatched.errorText.contains("listening"))
    }
}
