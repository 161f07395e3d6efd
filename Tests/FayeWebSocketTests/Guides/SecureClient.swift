import FayeWebSocket
import PermessageDeflate
import WebSocketDriver

/// How to reach a `wss:` server: the CA that signed its certificate and the proxy in between.
struct SecureClientSettings {
    /// The server, `wss://host[:port]/path`.
    var url: String
    /// A PEM file with the private CA; `nil` verifies against the system trust store.
    var caFile: String?
    /// An HTTP CONNECT proxy, `http://[user:password@]host:port`; `nil` connects directly.
    var proxyURL: String?
}

/// Opens a verified `wss:` connection (through the proxy, if any) that offers
/// permessage-deflate and pings the server every 30 seconds. Never throws: failures arrive as
/// an error event and a close event.
func connectSecurely(_ settings: SecureClientSettings) -> WebSocket {
    var options = WebSocketOptions()
    options.extensions = [PermessageDeflate()]
    options.pingInterval = .seconds(30)

    var clientOptions = WebSocketClientOptions()
    if let caFile = settings.caFile {
        clientOptions.tls.rootCertificateFiles = [caFile]  // replaces the system store
    }
    if let proxyURL = settings.proxyURL {
        // The proxy's credentials go to the proxy only; TLS to the server runs in the tunnel.
        clientOptions.proxy = ProxySettings(url: proxyURL)
    }
    return WebSocket(url: settings.url, options: options, clientOptions: clientOptions)
}

/// Sends one text message and returns the first message that comes back, then closes
/// normally. `nil` if the connection ended first (its close event says why).
func ask(_ socket: WebSocket, _ question: String) async throws -> WebSocketMessage? {
    var answers = socket.messages.makeAsyncIterator()  // before sending, so no answer is missed
    try await socket.send(.text(question))  // queued until open; resumes once written
    let answer = try await answers.next()
    _ = try await socket.closeAndWait(code: 1000, reason: "thanks")
    return answer
}
