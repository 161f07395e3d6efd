import ArgumentParser
import FayeDemoSupport
import FayeWebSocket
import NIOConcurrencyHelpers
import NIOPosix
import PermessageDeflate
import WebSocketDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `faye-client`: the line-oriented WebSocket client of DESIGN §3.
///
/// Each stdin line goes out as a text message; each received message comes out as one stdout
/// line (`binary N bytes` for binary ones). On stdin EOF it closes with 1000, waits for the
/// close and exits 0. Any failure is one line on stderr and a non-zero exit status.
@main
struct FayeClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faye-client",
        abstract: "Sends stdin lines as WebSocket text messages and prints the messages received.",
        discussion: """
            Messages that arrive after stdin reached its end (and the closing handshake began) are \
            dropped, as in the W3C API: keep stdin open until the answers you want were printed.
            """
    )

    @Argument(help: "The ws:// or wss:// URL to connect to.")
    var url: String

    @Option(name: .customLong("protocol"), help: "A subprotocol to offer; repeat for several, in preference order.")
    var protocols: [String] = []

    @Option(name: .customLong("header"), help: "An extra handshake header, 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(help: "An HTTP CONNECT proxy, http://[user:pass@]host:port (or https://).")
    var proxy: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of the CA certificates to trust instead of the system's.")
    var caFile: String?

    @Flag(help: "Do not verify the server's (or an https proxy's) certificate. Unsafe.")
    var insecure = false

    @Flag(name: .customLong("no-deflate"), help: "Do not offer permessage-deflate.")
    var noDeflate = false

    @Option(name: .customLong("max-length"), help: "Largest message accepted, in bytes.")
    var maxLength: Int = DriverOptions.defaultMaxLength

    func validate() throws {
        guard maxLength > 0 else { throw ValidationError("--max-length must be positive") }
        for header in headers where HeaderLine.parse(header) == nil {
            throw ValidationError("--header must look like 'Name: value', got '\(header)'")
        }
    }

    func run() async throws {
        var options = WebSocketOptions()
        options.protocols = protocols
        options.maxLength = maxLength
        for header in headers {
            if let (name, value) = HeaderLine.parse(header) { options.headers.append(name: name, value: value) }
        }
        if !noDeflate { options.extensions = [PermessageDeflate()] }
        // The trust settings apply to a wss: server and to an https: proxy alike.
        var tls = TLSClientConfiguration()
        tls.verifyPeer = !insecure
        if let caFile { tls.rootCertificateFiles = [caFile] }
        var clientOptions = WebSocketClientOptions()
        clientOptions.tls = tls
        if let proxy {
            var settings = ProxySettings(url: proxy)
            settings.tls = tls
            clientOptions.proxy = settings
        }

        let socket: WebSocket
        do {
            socket = try await WebSocket.connect(to: url, options: options, clientOptions: clientOptions)
        } catch {
            StandardStream.write(2, "faye-client: \(error)\n")
            throw ExitCode(1)
        }
        // Stdin is read only once the connection is open (sends are not queued for a connection
        // that may never open).
        let sender = Task { await Self.sendStandardInput(to: socket) }
        // The sequence ends at the close, throwing the connection's error if it failed.
        do {
            for try await message in socket.messages {
                switch message {
                case .text(let text): StandardStream.write(1, text + "\n")
                case .binary(let bytes): StandardStream.write(1, "binary \(bytes.count) bytes\n")
                }
            }
            _ = try await socket.closed()
        } catch {
            sender.cancel()
            StandardStream.write(2, "faye-client: \(error)\n")
            throw ExitCode(1)
        }
        sender.cancel()
        if socket.closeEvent?.code == .abnormalClosure {
            StandardStream.write(2, "faye-client: \(socket.url): the connection closed abnormally (1006)\n")
            throw ExitCode(1)
        }
    }

    /// Sends each stdin line in order, each after the previous one was written; closes with 1000
    /// at EOF. Returns early when the connection closes first.
    private static func sendStandardInput(to socket: WebSocket) async {
        // `readLine` blocks, so it runs on a thread of its own, one line at a time. When the
        // server closes first that thread may stay in `read` until the process ends.
        let reader = NIOThreadPool(numberOfThreads: 1)
        reader.start()
        if await sendLines(from: reader, to: socket) { _ = try? socket.close(code: 1000) }
        try? await reader.shutdownGracefully()
    }

    /// Sends the lines; `true` at EOF, `false` when the connection went away first.
    private static func sendLines(from reader: NIOThreadPool, to socket: WebSocket) async -> Bool {
        while !Task.isCancelled {
            guard let line = try? await reader.runIfActive({ readLine(strippingNewline: true) }) else {
                return !Task.isCancelled
            }
            do {
                try await socket.send(.text(line))
            } catch {
                return false
            }
        }
        return false
    }
}
