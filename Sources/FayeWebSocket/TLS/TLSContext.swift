import COpenSSL
import COpenSSLShim
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An OpenSSL context (`SSL_CTX`): certificates, keys, trust roots and protocol settings, loaded
/// once and shared by the connections made from it (``TLSHandler``).
///
/// A server makes one context at start and uses it for every connection; a client makes one per
/// connection. Loading fails with a ``TLSError`` of kind ``TLSError/Kind/configuration`` naming
/// the file and OpenSSL's reason.
public final class TLSContext: @unchecked Sendable {
    // Sendable: the SSL_CTX is configured completely in the initializer and only read (by
    // SSL_new, which OpenSSL documents as thread-safe) afterwards.

    enum Role {
        case client
        case server
    }

    let pointer: OpaquePointer
    let role: Role
    /// Whether client connections check the server's name (server contexts: unused).
    let verifiesPeer: Bool
    /// The name to send and verify instead of the URL's host.
    let serverNameOverride: String?
    /// How long a handshake may take, if limited here.
    let handshakeTimeout: Duration?
    /// The server's ALPN list, owned by this context (the selection callback reads it).
    private var alpnList: OpaquePointer?

    /// Creates a client context.
    /// - Throws: ``TLSError`` when a file cannot be loaded or a setting is refused.
    public init(client configuration: TLSClientConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(.configuration, OpenSSLErrorQueue.message(or: "SSL_CTX_new failed"))
        }
        pointer = context
        role = .client
        verifiesPeer = configuration.verifyPeer
        serverNameOverride = configuration.serverName
        handshakeTimeout = configuration.handshakeTimeout
        try Self.setCommon(context, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
        if configuration.verifyPeer {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            if configuration.rootCertificateFiles.isEmpty {
                OpenSSLErrorQueue.clear()
                guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                    throw TLSError(
                        .configuration,
                        "could not load the system trust store: \(OpenSSLErrorQueue.message(or: "unknown error"))")
                }
            } else {
                for file in configuration.rootCertificateFiles {
                    try Self.checkReadable(file, what: "CA file")
                    OpenSSLErrorQueue.clear()
                    guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                        throw TLSError(
                            .configuration,
                            "could not load CA file \(file): \(OpenSSLErrorQueue.message(or: "no certificates in it"))")
                    }
                }
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        if !configuration.applicationProtocols.isEmpty {
            let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
            // SSL_CTX_set_alpn_protos returns 0 on success.
            guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else {
                throw TLSError(.configuration, OpenSSLErrorQueue.message(or: "SSL_CTX_set_alpn_protos failed"))
            }
        }
        switch (configuration.certificateChainFile, configuration.privateKeyFile) {
        case (nil, nil):
            break
        case (let chain?, let key?):
            try Self.useCertificate(context, chain: chain, key: key)
        default:
            throw TLSError(.configuration, "a client certificate needs both certificateChainFile and privateKeyFile")
        }
    }

    /// Creates a server context.
    /// - Throws: ``TLSError`` when a file cannot be loaded, or the key does not match.
    public init(server configuration: TLSServerConfiguration) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(.configuration, OpenSSLErrorQueue.message(or: "SSL_CTX_new failed"))
        }
        pointer = context
        role = .server
        verifiesPeer = !configuration.clientCertificateRootFiles.isEmpty
        serverNameOverride = nil
        handshakeTimeout = nil
        try Self.setCommon(context, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
        try Self.useCertificate(context, chain: configuration.certificateChainFile, key: configuration.privateKeyFile)
        if !configuration.applicationProtocols.isEmpty {
            let wire = try Self.alpnWireFormat(configuration.applicationProtocols)
            guard let list = faye_alpn_list_new(wire, UInt32(wire.count)) else {
                throw TLSError(.configuration, "out of memory for the ALPN list")
            }
            alpnList = list
            faye_ssl_ctx_set_alpn_select(context, list)
        }
        let sessionContext: [UInt8] = Array("swift-faye".utf8)
        SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        if !configuration.clientCertificateRootFiles.isEmpty {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            for file in configuration.clientCertificateRootFiles {
                try Self.checkReadable(file, what: "CA file")
                OpenSSLErrorQueue.clear()
                guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                    throw TLSError(
                        .configuration,
                        "could not load CA file \(file): \(OpenSSLErrorQueue.message(or: "no certificates in it"))")
                }
            }
        }
    }

    deinit {
        SSL_CTX_free(pointer)
        if let alpnList { faye_alpn_list_free(alpnList) }
    }

    /// Protocol names in ALPN's wire format: each preceded by its length (1 to 255 bytes).
    static func alpnWireFormat(_ protocols: [String]) throws -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError(
                    .configuration, "ALPN protocol names must be 1 to 255 bytes long, not \(bytes.count) (\"\(name)\")")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }

    private static func setCommon(_ context: OpaquePointer, minimum: TLSVersion, maximum: TLSVersion) throws {
        faye_ssl_ctx_set_defaults(context)
        guard minimum <= maximum else {
            throw TLSError(.configuration, "the minimum TLS version is newer than the maximum")
        }
        guard faye_ssl_ctx_set_proto_versions(context, minimum.openSSLValue, maximum.openSSLValue) == 1 else {
            throw TLSError(
                .configuration, "could not set the TLS versions: \(OpenSSLErrorQueue.message(or: "refused"))")
        }
    }

    private static func useCertificate(_ context: OpaquePointer, chain: String, key: String) throws {
        try checkReadable(chain, what: "certificate file")
        try checkReadable(key, what: "private key file")
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate_chain_file(context, chain) == 1 else {
            throw TLSError(
                .configuration,
                "could not load the certificate chain \(chain): \(OpenSSLErrorQueue.message(or: "no certificate in it"))"
            )
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrorQueue.message(or: "no key in it")
            if reason.contains("mismatch") {
                throw TLSError(
                    .configuration, "the private key \(key) does not match the certificate \(chain): \(reason)")
            }
            throw TLSError(.configuration, "could not load the private key \(key): \(reason)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(
                .configuration,
                "the private key \(key) does not match the certificate \(chain): "
                    + OpenSSLErrorQueue.message(or: "mismatch"))
        }
    }

    private static func checkReadable(_ path: String, what: String) throws {
        guard access(path, R_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            throw TLSError(.configuration, "cannot read \(what) \(path): \(reason)")
        }
    }
}

extension TLSContext {
    private struct CacheKey: Hashable {
        var configuration: TLSClientConfiguration
        /// Identity and modification time of every file the configuration names, so that a
        /// replaced file is loaded again.
        var files: [[Int]]
    }

    private static let clientContexts = NIOLockedValueBox([CacheKey: TLSContext]())

    /// A client context for `configuration`, shared by the connections that use the same one
    /// (loading the system trust store takes tens of milliseconds).
    static func client(cached configuration: TLSClientConfiguration) throws -> TLSContext {
        let paths =
            configuration.rootCertificateFiles
            + [configuration.certificateChainFile, configuration.privateKeyFile].compactMap { $0 }
        let key = CacheKey(configuration: configuration, files: paths.map(Self.stamp))
        if let context = clientContexts.withLockedValue({ $0[key] }) { return context }
        let context = try TLSContext(client: configuration)
        clientContexts.withLockedValue { contexts in
            if contexts.count >= 32 { contexts.removeAll() }
            contexts[key] = context
        }
        return context
    }

    private static func stamp(_ path: String) -> [Int] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        return [
            Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(modified.tv_sec), Int(modified.tv_nsec),
        ]
    }
}

extension TLSVersion {
    var openSSLValue: Int32 {
        switch self {
        case .tls12: return TLS1_2_VERSION
        case .tls13: return TLS1_3_VERSION
        }
    }
}
