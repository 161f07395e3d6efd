/// A TLS protocol version. TLS 1.2 is the oldest this library speaks.
public enum TLSVersion: Sendable, Hashable, Comparable {
    /// TLS 1.2 (RFC 5246).
    case tls12
    /// TLS 1.3 (RFC 8446).
    case tls13
}

/// How a client (`wss:`, or an `https:` proxy) runs TLS. The defaults are the safe ones: the
/// server's certificate chain is verified against the system trust store and must name the host
/// of the URL.
///
/// ```swift
/// var clientOptions = WebSocketClientOptions()
/// clientOptions.tls.rootCertificateFiles = ["/etc/my-company/ca.pem"]
/// let socket = WebSocket(url: "wss://internal.example/", clientOptions: clientOptions)
/// ```
public struct TLSClientConfiguration: Sendable, Hashable {
    /// Whether to verify the server: its certificate chain against the trust roots, and its name
    /// (DNS name, or IP address for an IP literal) against the host. Default `true`. Setting it
    /// to `false` accepts any certificate, including one made by an attacker on the path: use it
    /// only for tests or when the transport is trusted otherwise.
    public var verifyPeer = true

    /// PEM files of trusted root certificates. Empty (the default): the system trust store
    /// (`/etc/ssl/certs` on Debian). Not empty: only the certificates in these files.
    public var rootCertificateFiles: [String] = []

    /// The name sent as SNI and verified in the certificate, when it is not the URL's host
    /// (for example when connecting to an IP address that serves a certificate for a name).
    public var serverName: String?

    /// A PEM file with the client certificate (and any intermediates after it), for servers that
    /// ask for one. Needs ``privateKeyFile``.
    public var certificateChainFile: String?

    /// A PEM file with the private key of ``certificateChainFile``.
    public var privateKeyFile: String?

    /// The oldest version offered. Default TLS 1.2; never older.
    public var minimumVersion = TLSVersion.tls12

    /// The newest version offered. Default TLS 1.3.
    public var maximumVersion = TLSVersion.tls13

    /// How long the TLS handshake (after the TCP connection) may take. Default 30 seconds.
    public var handshakeTimeout: Duration = .seconds(30)

    /// The application protocols offered by ALPN (RFC 7301), in preference order, e.g.
    /// `["h2", "http/1.1"]`. Empty (the default): no ALPN extension is sent. The protocol the
    /// server selected is ``TLSHandshakeCompleted/applicationProtocol``.
    public var applicationProtocols: [String] = []

    /// Creates the default (verifying) configuration.
    public init() {}

    /// Creates a configuration.
    /// - Parameters:
    ///   - verifyPeer: `false` to accept any server certificate (see ``verifyPeer``).
    ///   - rootCertificateFiles: PEM files of trusted roots; empty for the system store.
    public init(verifyPeer: Bool = true, rootCertificateFiles: [String] = []) {
        self.verifyPeer = verifyPeer
        self.rootCertificateFiles = rootCertificateFiles
    }
}

/// How a server runs TLS: its certificate chain and private key from PEM files.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// A PEM file with the server certificate first, then any intermediates.
    public var certificateChainFile: String

    /// A PEM file with the certificate's private key (unencrypted).
    public var privateKeyFile: String

    /// When not empty, clients must present a certificate that chains to one of the roots in
    /// these PEM files. Default empty: no client certificates asked for.
    public var clientCertificateRootFiles: [String] = []

    /// The oldest version accepted. Default TLS 1.2; never older.
    public var minimumVersion = TLSVersion.tls12

    /// The newest version accepted. Default TLS 1.3.
    public var maximumVersion = TLSVersion.tls13

    /// The application protocols the server selects from by ALPN (RFC 7301), in its preference
    /// order: the first one of these that the client offers is selected. When the client offers
    /// none of them, or no ALPN at all, the handshake goes on with no protocol selected (the
    /// client then speaks HTTP/1.1). Empty (the default): ALPN is not answered.
    /// ``FayeServer`` fills in `["h2", "http/1.1"]` when its HTTP/2 is enabled and this is empty.
    public var applicationProtocols: [String] = []

    /// Creates a configuration.
    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }
}
