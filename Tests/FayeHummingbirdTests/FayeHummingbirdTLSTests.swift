#if Hummingbird
    import FayeHummingbird
    import FayeTestSupport
    import Foundation
    import Hummingbird
    import HummingbirdTLS
    import Logging
    import NIOSSL
    import ServiceLifecycle
    import Testing

    /// A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
    private func selfSignedCertificate() throws -> (directory: URL, certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("faye-hb-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SetupError("openssl could not make a certificate") }
        return (directory, certificate, key)
    }

    @Suite("FayeHummingbird with Hummingbird's own TLS")
    struct FayeHummingbirdTLSTests {
        @Test("wss through Hummingbird's .tls(...) around our channel: the socket's URL is wss:")
        func frameworkTLS() async throws {
            let pki = try selfSignedCertificate()
            defer { try? FileManager.default.removeItem(at: pki.directory) }
            var logger = Logger(label: "test.hummingbird.tls")
            logger.logLevel = .warning
            let urls = Inbox<String>()
            let port = Locked<Int?>(nil)
            let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(pki.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.key, format: .pem))
            )
            let app = Application(
                router: Router(),
                server: try .tls(
                    .fayeWebSocketUpgrade(configuration: .init(isTLS: true)) { _ in
                        WebSocketRoute { socket in
                            urls.append(socket.url)
                            _ = socket.echoMessages()
                        }
                    },
                    tlsConfiguration: tlsConfiguration
                ),
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
                logger: logger
            )
            let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let running = Task { try await services.run() }
            do {
                try await eventually("Hummingbird to listen", timeout: .seconds(30)) { port.current != nil }
                var client = WebSocketClientOptions()
                client.tls.rootCertificateFiles = [pki.certificate]
                try await WebSocket.withConnection(
                    to: "wss://127.0.0.1:\(port.current ?? 0)/secure", clientOptions: client
                ) { socket in
                    try await socket.send(.text("over TLS"))
                    var messages = socket.messages.makeAsyncIterator()
                    #expect(try await messages.next() == .text("over TLS"))
                }
                #expect(
                    try await urls.next(timeout: .seconds(5), "the server socket")
                        == "wss://127.0.0.1:\(port.current ?? 0)/secure")
            } catch {
                await services.triggerGracefulShutdown()
                _ = try? await running.value
                throw error
            }
            await services.triggerGracefulShutdown()
            try await running.value
        }
    }
#endif
