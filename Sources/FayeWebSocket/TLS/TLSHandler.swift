import COpenSSL
import COpenSSLShim
public import NIOCore
import NIOTLS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fired (as a user inbound event) when a ``TLSHandler`` finishes its handshake.
public struct TLSHandshakeCompleted: Sendable, Hashable {
    /// The protocol version, e.g. `TLSv1.3`.
    public var protocolVersion: String
    /// The cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    public var cipher: String
    /// The application protocol selected by ALPN (`h2`, `http/1.1`, ...), or `nil` when none
    /// was (no ALPN offered or answered).
    public var applicationProtocol: String?

    /// Creates the event.
    public init(protocolVersion: String, cipher: String, applicationProtocol: String? = nil) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.applicationProtocol = applicationProtocol
    }
}

/// Runs TLS (OpenSSL over two memory BIOs) on a NIO channel, in either role: ciphertext in from
/// the network, plaintext `ByteBuffer`s out to the next handler; plaintext writes in,
/// ciphertext out, one buffer per flush.
///
/// Put it first in the pipeline. Plaintext written before the handshake has finished is held
/// and written after it (and dropped if the handshake fails). The handshake outcome is a
/// ``TLSHandshakeCompleted`` user event (followed by NIO's
/// `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)`, so that NIO's
/// `ApplicationProtocolNegotiationHandler` and `configureHTTP2SecureUpgrade` work on it), or a ``TLSError`` through `errorCaught` followed by the
/// channel closing. Closing the channel sends `close_notify` first; a peer's `close_notify`
/// is answered with ours and closes the channel.
///
/// ```swift
/// let context = try TLSContext(server: TLSServerConfiguration(certificateChainFile: "cert.pem", privateKeyFile: "key.pem"))
/// // in the child channel initializer:
/// try channel.pipeline.syncOperations.addHandler(try TLSHandler(context: context))
/// ```
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// Ciphertext read from the network.
    public typealias InboundIn = ByteBuffer
    /// Plaintext passed on to the next handler.
    public typealias InboundOut = ByteBuffer
    /// Plaintext written by the handlers after this one.
    public typealias OutboundIn = ByteBuffer
    /// Ciphertext written to the network.
    public typealias OutboundOut = ByteBuffer

    private enum State {
        /// Waiting for the channel to become active.
        case idle
        case handshaking
        case active
        /// Our close_notify is written; the channel closes next.
        case closing
        /// Failed or gone: nothing more is processed.
        case closed
    }

    private let ssl: SSLConnection
    private let isClient: Bool
    /// The name the client verifies, for messages.
    private let peerName: String?
    private let handshakeTimeout: Duration?
    private let onHandshakeCompleted: ((ChannelHandlerContext) -> Void)?
    private var state = State.idle
    /// Plaintext written before the handshake finished.
    private var heldWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var heldFlush = false
    /// Promises of writes encrypted into the write BIO (or waiting in ``pendingPlaintext``) and
    /// not yet flushed to the network.
    private var unflushedPromises: [EventLoopPromise<Void>] = []
    /// Small writes since the last flush, gathered so that they become full TLS records instead
    /// of one record each (HTTP/2 writes a 9-byte frame header and its payload separately).
    private var pendingPlaintext: ByteBuffer?
    /// Writes are gathered up to this many bytes; a larger one is encrypted as it comes.
    static let coalescingLimit = 64 * 1024
    /// Plaintext decrypted during the current read batch.
    private var plaintext: ByteBuffer?
    private var receivedAnything = false
    private var timeoutTask: Scheduled<Void>?
    private var closeFallback: Scheduled<Void>?
    private var closeForwarded = false

    /// Creates a handler for one connection.
    /// - Parameters:
    ///   - context: the shared settings; its role (client or server) is the handler's.
    ///   - serverHostname: for a client, the host to send as SNI (not for IP literals) and to
    ///     verify the certificate against (a DNS name, or an IP address for an IP literal) when
    ///     the context verifies peers. `nil`: no SNI and no name check (the chain still is).
    /// - Throws: ``TLSError`` when OpenSSL cannot create the connection or refuses the name.
    public convenience init(context: TLSContext, serverHostname: String? = nil) throws {
        try self.init(context: context, serverHostname: serverHostname, onHandshakeCompleted: nil)
    }

    init(
        context: TLSContext,
        serverHostname: String?,
        onHandshakeCompleted: ((ChannelHandlerContext) -> Void)?
    ) throws {
        ssl = try SSLConnection(context: context)
        isClient = context.role == .client
        handshakeTimeout = context.handshakeTimeout
        self.onHandshakeCompleted = onHandshakeCompleted
        let name = isClient ? (context.serverNameOverride ?? serverHostname) : nil
        peerName = name
        if isClient {
            SSL_set_connect_state(ssl.pointer)
            if let name, !name.isEmpty {
                try ssl.setPeerName(name, verify: context.verifiesPeer)
            }
        } else {
            SSL_set_accept_state(ssl.pointer)
        }
    }

    /// The application protocol ALPN selected, once the handshake has finished (`nil` before,
    /// or when none was selected).
    public var negotiatedApplicationProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl.pointer, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    // MARK: - Life cycle

    /// Starts the handshake if the channel is already active.
    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHandshake(context: context) }
    }

    /// Cancels the timers and fails the writes held for the handshake.
    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        closeFallback?.cancel()
        closeFallback = nil
        failHeldWrites(ChannelError.ioOnClosedChannel)
    }

    /// Starts the handshake and its timeout, then passes the event on.
    public func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .handshaking
        if let handshakeTimeout {
            timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(handshakeTimeout)) {
                guard case .handshaking = self.state else { return }
                self.fail(
                    context: context,
                    TLSError(.handshakeTimeout, "TLS handshake timed out after \(Self.describe(handshakeTimeout))"))
            }
        }
        doHandshake(context: context)
    }

    private func doHandshake(context: ChannelHandlerContext) {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl.pointer)
        if result == 1 {
            handshakeCompleted(context: context)
            return
        }
        let error = SSL_get_error(ssl.pointer, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            writeCiphertext(context: context)
        default:
            fail(context: context, handshakeError(error))
        }
    }

    private func handshakeCompleted(context: ChannelHandlerContext) {
        state = .active
        timeoutTask?.cancel()
        timeoutTask = nil
        let held = heldWrites
        heldWrites = []
        for (buffer, promise) in held { encrypt(context: context, buffer, promise: promise) }
        heldFlush = false
        writeCiphertext(context: context)
        guard case .active = state else { return }
        let version = SSL_get_version(ssl.pointer).map { String(cString: $0) } ?? ""
        let cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl.pointer)).map { String(cString: $0) } ?? ""
        let selected = negotiatedApplicationProtocol
        context.fireUserInboundEventTriggered(
            TLSHandshakeCompleted(protocolVersion: version, cipher: cipher, applicationProtocol: selected))
        guard case .active = state else { return }
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: selected))
        guard case .active = state else { return }
        onHandshakeCompleted?(context)
    }

    /// Why the handshake failed, in words: the certificate verification reason when that was
    /// it, else OpenSSL's reasons.
    private func handshakeError(_ code: Int32) -> TLSError {
        let reasons = OpenSSLErrorQueue.drain()
        if isClient {
            let verification = SSL_get_verify_result(ssl.pointer)
            if verification != Int(X509_V_OK) {
                let reason =
                    X509_verify_cert_error_string(verification).map { String(cString: $0) } ?? "error \(verification)"
                var message = "TLS handshake failed: certificate verify failed: \(reason)"
                if verification == Int(X509_V_ERR_HOSTNAME_MISMATCH)
                    || verification == Int(X509_V_ERR_IP_ADDRESS_MISMATCH),
                    let peerName
                {
                    message += " (the certificate is not valid for \(peerName))"
                }
                return TLSError(.certificateVerificationFailed, message)
            }
        }
        if reasons.isEmpty {
            return TLSError(.handshakeFailed, "TLS handshake failed (OpenSSL error \(code))")
        }
        return TLSError(.handshakeFailed, "TLS handshake failed: \(reasons.joined(separator: "; "))")
    }

    // MARK: - Inbound

    /// Feeds ciphertext to OpenSSL (failing at once when the first byte cannot start a TLS record), runs the handshake and decrypts.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch state {
        case .closed, .closing:
            return
        case .idle:
            startHandshake(context: context)
        case .handshaking, .active:
            break
        }
        if !receivedAnything, let first = buffer.readableBytesView.first {
            receivedAnything = true
            // Every TLS record starts with a content type from 20 to 23 (an alert or a
            // handshake message first); anything else is another protocol.
            guard (20...23).contains(first) else {
                fail(context: context, notTLSError(buffer))
                return
            }
        }
        buffer.withUnsafeReadableBytes { ssl.feed($0) }
        if case .handshaking = state { doHandshake(context: context) }
        if case .active = state { decrypt(context: context) }
    }

    /// Passes on the plaintext decrypted in this read batch, as one buffer.
    public func channelReadComplete(context: ChannelHandlerContext) {
        firePlaintext(context: context)
        context.fireChannelReadComplete()
    }

    private func decrypt(context: ChannelHandlerContext) {
        while case .active = state {
            var buffer = plaintext ?? context.channel.allocator.buffer(capacity: 0)
            plaintext = nil
            var status: Int32 = 0
            OpenSSLErrorQueue.clear()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: ssl.plaintextReadSize) { space in
                var count = 0
                status = SSL_read_ex(ssl.pointer, space.baseAddress, space.count, &count)
                return status == 1 ? count : 0
            }
            if buffer.readableBytes > 0 { plaintext = buffer }
            if status == 1 { continue }
            let error = SSL_get_error(ssl.pointer, status)
            switch error {
            case SSL_ERROR_WANT_READ:
                // Anything OpenSSL answered on its own (a key update, an alert) goes out.
                if ssl.pendingCiphertext > 0 { writeCiphertext(context: context) }
                return
            case SSL_ERROR_ZERO_RETURN:
                peerClosed(context: context)
                return
            default:
                let reason = OpenSSLErrorQueue.message(or: "OpenSSL error \(error)")
                fail(context: context, TLSError(.protocolError, "TLS error: \(reason)"))
                return
            }
        }
    }

    /// The peer sent close_notify: deliver what came before it, answer with ours, close.
    private func peerClosed(context: ChannelHandlerContext) {
        firePlaintext(context: context)
        context.fireChannelReadComplete()
        guard case .active = state else { return }
        sendCloseNotifyAndClose(context: context, mode: .all, promise: nil)
    }

    private func firePlaintext(context: ChannelHandlerContext) {
        guard let buffer = plaintext else { return }
        plaintext = nil
        context.fireChannelRead(wrapInboundOut(buffer))
    }

    /// Fails pending writes and reports a connection that closed during the handshake or inside a TLS record.
    public func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        closeFallback?.cancel()
        closeFallback = nil
        let previous = state
        state = .closed
        failHeldWrites(ChannelError.ioOnClosedChannel)
        failUnflushed(ChannelError.ioOnClosedChannel)
        firePlaintext(context: context)
        switch previous {
        case .idle, .handshaking:
            if case .handshaking = previous {
                context.fireErrorCaught(
                    TLSError(.closedDuringHandshake, "TLS handshake failed: the connection closed during the handshake")
                )
            }
        case .active:
            if ssl.hasPartialRecord {
                context.fireErrorCaught(
                    TLSError(.truncated, "TLS error: the connection closed in the middle of a TLS record"))
            }
        case .closing, .closed:
            break
        }
        context.fireChannelInactive()
    }

    // MARK: - Outbound

    /// Encrypts plaintext; writes made during the handshake are held until it has finished.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            heldWrites.append((buffer, promise))
        case .active:
            gather(context: context, buffer, promise: promise)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    /// Adds a write to the plaintext gathered for the next flush, or, when it would make that
    /// larger than ``coalescingLimit``, encrypts what was gathered and then the write itself.
    private func gather(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        let gathered = pendingPlaintext?.readableBytes ?? 0
        guard gathered + buffer.readableBytes <= Self.coalescingLimit else {
            encryptPending(context: context)
            encrypt(context: context, buffer, promise: promise)
            return
        }
        if let promise { unflushedPromises.append(promise) }
        // The first write is kept as it is (no copy: one write per flush, the common case, is
        // encrypted straight from the caller's buffer); a second one is appended to it.
        guard var pending = pendingPlaintext else {
            pendingPlaintext = buffer
            return
        }
        pendingPlaintext = nil
        pending.writeImmutableBuffer(buffer)
        pendingPlaintext = pending
    }

    /// Encrypts the gathered plaintext (its promises are already waiting for the flush).
    private func encryptPending(context: ChannelHandlerContext) {
        guard let pending = pendingPlaintext else { return }
        pendingPlaintext = nil
        encrypt(context: context, pending, promise: nil)
    }

    /// Writes the ciphertext produced so far as one buffer (deferred until the handshake has finished).
    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking:
            heldFlush = true
        case .active:
            encryptPending(context: context)
            writeCiphertext(context: context)
        case .closing, .closed:
            break
        }
    }

    /// Sends a TLS close_notify before closing an established connection.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch (state, mode) {
        case (.active, .all), (.active, .output):
            sendCloseNotifyAndClose(context: context, mode: mode, promise: promise)
        case (.idle, _), (.handshaking, _):
            if mode != .input {
                state = .closed
                timeoutTask?.cancel()
                timeoutTask = nil
                failHeldWrites(ChannelError.ioOnClosedChannel)
            }
            context.close(mode: mode, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    private func encrypt(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        if buffer.readableBytes > 0 {
            OpenSSLErrorQueue.clear()
            var status: Int32 = 1
            buffer.withUnsafeReadableBytes { bytes in
                var written = 0
                status = SSL_write_ex(ssl.pointer, bytes.baseAddress, bytes.count, &written)
            }
            guard status == 1 else {
                let reason = OpenSSLErrorQueue.message(or: "OpenSSL error \(SSL_get_error(ssl.pointer, status))")
                let error = TLSError(.protocolError, "TLS error: \(reason)")
                promise?.fail(error)
                fail(context: context, error)
                return
            }
        }
        if let promise { unflushedPromises.append(promise) }
    }

    /// Sends what OpenSSL wrote to the write BIO as one buffer, and flushes.
    private func writeCiphertext(context: ChannelHandlerContext) {
        let promises = unflushedPromises
        unflushedPromises = []
        guard let buffer = ssl.takeCiphertext(allocator: context.channel.allocator) else {
            for promise in promises { promise.succeed() }
            return
        }
        var promise: EventLoopPromise<Void>?
        if !promises.isEmpty {
            let combined = context.eventLoop.makePromise(of: Void.self)
            combined.futureResult.whenComplete { result in
                for promise in promises { promise.completeWith(result) }
            }
            promise = combined
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    /// Writes close_notify (after anything still unflushed), then closes once it is written,
    /// or after a short wait when the peer does not read.
    private func sendCloseNotifyAndClose(
        context: ChannelHandlerContext,
        mode: CloseMode,
        promise: EventLoopPromise<Void>?
    ) {
        // What was written before the close goes out before close_notify.
        encryptPending(context: context)
        state = .closing
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl.pointer)
        OpenSSLErrorQueue.clear()
        let written = context.eventLoop.makePromise(of: Void.self)
        unflushedPromises.append(written)
        writeCiphertext(context: context)
        let forward: () -> Void = {
            guard !self.closeForwarded else { return }
            self.closeForwarded = true
            self.closeFallback?.cancel()
            self.closeFallback = nil
            context.close(mode: mode, promise: promise)
        }
        closeFallback = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) { forward() }
        written.futureResult.assumeIsolated().whenComplete { _ in forward() }
    }

    // MARK: - Failure

    private func fail(context: ChannelHandlerContext, _ error: TLSError) {
        switch state {
        case .closed: return
        default: break
        }
        state = .closed
        timeoutTask?.cancel()
        timeoutTask = nil
        failHeldWrites(error)
        failUnflushed(error)
        // The alert OpenSSL prepared for the peer, if any, goes out before the close.
        if let alert = ssl.takeCiphertext(allocator: context.channel.allocator) {
            context.writeAndFlush(wrapOutboundOut(alert), promise: nil)
        }
        firePlaintext(context: context)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failHeldWrites(_ error: any Error) {
        let held = heldWrites
        heldWrites = []
        for (_, promise) in held { promise?.fail(error) }
    }

    private func failUnflushed(_ error: any Error) {
        pendingPlaintext = nil
        let promises = unflushedPromises
        unflushedPromises = []
        for promise in promises { promise.fail(error) }
    }

    private func notTLSError(_ buffer: ByteBuffer) -> TLSError {
        let who = isClient ? "the server did not answer with TLS" : "the client did not speak TLS"
        let bytes = buffer.readableBytesView.prefix(40).prefix { $0 != 13 && $0 != 10 }
        if !bytes.isEmpty, bytes.allSatisfy({ (32..<127).contains($0) }) {
            return TLSError(
                .notTLS, "TLS handshake failed: \(who) (it sent \"\(String(decoding: bytes, as: UTF8.self))\")")
        }
        return TLSError(.notTLS, "TLS handshake failed: \(who)")
    }

    private static func describe(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }
}

/// One OpenSSL connection (`SSL`) with its two memory BIOs, freed together.
final class SSLConnection {
    let pointer: OpaquePointer
    /// Network → OpenSSL.
    private let readBIO: OpaquePointer
    /// OpenSSL → network.
    private let writeBIO: OpaquePointer
    /// Keeps the SSL_CTX alive as long as the connection (OpenSSL counts it too).
    private let context: TLSContext

    init(context: TLSContext) throws {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSError(.configuration, OpenSSLErrorQueue.message(or: "SSL_new failed"))
        }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(.configuration, OpenSSLErrorQueue.message(or: "BIO_new failed"))
        }
        // SSL_free frees both BIOs from here on.
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.pointer = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.context = context
    }

    deinit {
        SSL_free(pointer)
    }

    /// Sets SNI (for a DNS name) and, when verifying, the name or IP address to check.
    func setPeerName(_ name: String, verify: Bool) throws {
        OpenSSLErrorQueue.clear()
        if IPLiteral.isIPAddress(name) {
            // RFC 6066: no SNI for IP literals; the certificate must carry the address.
            if verify, X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(pointer), name) != 1 {
                throw TLSError(.configuration, "invalid IP address \(name)")
            }
            return
        }
        guard faye_ssl_set_server_name(pointer, name) == 1 else {
            throw TLSError(.configuration, "invalid server name \(name): \(OpenSSLErrorQueue.message(or: "refused"))")
        }
        if verify {
            SSL_set_hostflags(pointer, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard SSL_set1_host(pointer, name) == 1 else {
                throw TLSError(.configuration, "invalid host name \(name)")
            }
        }
    }

    /// Hands ciphertext from the network to OpenSSL.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int(Int32.max))
            let written = BIO_write(readBIO, base + offset, Int32(chunk))
            guard written > 0 else { return }
            offset += Int(written)
        }
    }

    /// A good size for the next read of plaintext: what is buffered, at most one record.
    var plaintextReadSize: Int {
        max(256, min(BIO_ctrl_pending(readBIO) + Int(SSL_pending(pointer)), 16 * 1024))
    }

    /// How many ciphertext bytes wait to be sent.
    var pendingCiphertext: Int { BIO_ctrl_pending(writeBIO) }

    /// Whether an incomplete record is buffered (received but not decryptable yet).
    var hasPartialRecord: Bool { BIO_ctrl_pending(readBIO) > 0 || SSL_has_pending(pointer) == 1 }

    /// The ciphertext waiting to be sent, as one buffer; `nil` when there is none.
    func takeCiphertext(allocator: ByteBufferAllocator) -> ByteBuffer? {
        var pending = BIO_ctrl_pending(writeBIO)
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        while pending > 0 {
            let chunk = min(pending, Int(Int32.max))
            let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunk) { space in
                Int(max(0, BIO_read(writeBIO, space.baseAddress, Int32(chunk))))
            }
            guard read > 0 else { break }
            pending = BIO_ctrl_pending(writeBIO)
        }
        return buffer.readableBytes > 0 ? buffer : nil
    }
}

/// IP address literals (as they appear in URLs, without brackets).
enum IPLiteral {
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
