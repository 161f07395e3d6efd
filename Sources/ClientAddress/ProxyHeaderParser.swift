/// An incremental, bounded parser of PROXY protocol headers, versions 1 and 2 (HAProxy's
/// `send-proxy` and `send-proxy-v2`), sans-IO: feed it the first bytes of a connection as they
/// arrive until it returns the header.
///
/// ```swift
/// var parser = ProxyHeaderParser()
/// func received(_ chunk: [UInt8]) throws {
///     switch try parser.parse(chunk) {
///     case .needMoreData:
///         break  // wait for more bytes (with a timeout: a few seconds)
///     case .header(let header, let consumed):
///         if let client = header.source { useAsPeer(client) }
///         deliverToApplication(chunk[consumed...])  // the rest of the chunk is not the header's
///     }
/// }
/// ```
///
/// Only use it on connections from a trusted proxy (``TrustedProxies``) that is configured to
/// send the header: the specification forbids guessing whether a header is there, since a
/// client could then claim any address. Any error (``ProxyHeaderError``) means: close the
/// connection, serve nothing. So does a connection that ends before the header is complete.
///
/// What it accepts:
/// - **Version 1**: `PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT\r\n` with exactly one space
///   between fields, addresses of the protocol's family (`TCP4`: a dotted quad without leading
///   zeros; `TCP6`: an IPv6 address, an IPv4 tail allowed), ports 0–65535 without leading zeros,
///   the whole line at most 107 bytes with its CRLF. `PROXY UNKNOWN` followed by anything up to
///   the CRLF is a header with unknown addresses.
/// - **Version 2**: the 12-byte signature, version 2, command `LOCAL` or `PROXY`. `PROXY` with
///   TCP over IPv4 or IPv6 gives the addresses; UDP, UNIX sockets and the unspecified family or
///   transport give a header with unknown addresses. The length field is checked against the
///   family's addresses and against ``maxV2Length``; the type-length-value fields after the
///   addresses are checked to fill the header exactly and are returned in
///   ``ProxyHeader/tlvs``; a `PP2_TYPE_CRC32C` field is verified.
///
/// Errors come as early as the bytes allow, as the specification recommends:
/// ``ProxyHeaderError/notAProxyHeader`` at the first byte that differs from both `PROXY ` and
/// the version 2 signature (so by the 6th or 12th byte at the latest; ``detect(_:)`` makes the
/// same decision without a parser), an unknown version 1 protocol or a stray CR or LF at that
/// byte, a bad version 2 version, command, family or length at the 16th byte.
///
/// The parser buffers at most the header (107 bytes, or ``maxV2Length``) and never reads past
/// it: ``ParseResult/header(_:consumed:)`` says how many bytes of the last chunk were the
/// header's.
public struct ProxyHeaderParser: Sendable {
    /// What a call to ``parse(_:)`` found.
    public enum ParseResult: Sendable, Hashable {
        /// The header is not complete yet: call ``parse(_:)`` again with the next bytes.
        case needMoreData
        /// The header is complete. `consumed` is how many bytes of the chunk passed to this
        /// call belong to it; the bytes after them are the application's.
        case header(ProxyHeader, consumed: Int)
    }

    /// What the first bytes of a connection say (see ``detect(_:)``).
    public enum Detection: Sendable, Hashable {
        /// Too few bytes to tell: they match the start of a header so far.
        case undecided
        /// The bytes start with `PROXY ` (version 1) or the version 2 signature.
        case proxyHeader(ProxyHeader.Version)
        /// The bytes cannot start a PROXY protocol header.
        case notProxyHeader
    }

    /// The longest version 1 header, CRLF included: 107 bytes.
    public static let v1MaxLength = 107
    /// The default bound on a version 2 header, addresses and type-length-value fields
    /// included: 1024 bytes (the addresses take at most 232; proxies add a few short fields).
    public static let defaultV2MaxLength = 1024

    /// The longest version 2 header accepted, in bytes; a longer one throws
    /// ``ProxyHeaderError/tooLong(limit:)`` as soon as its length field arrives.
    public let maxV2Length: Int

    private enum State: Sendable {
        case detecting
        /// After `PROXY `; `protocolChecked` once the protocol field is complete and known.
        case v1(protocolChecked: Bool)
        case v2
        case done(ProxyHeader)
        case failed(ProxyHeaderError)
    }

    private var state = State.detecting
    private var buffer: [UInt8] = []

    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    private static let v1Protocols: [[UInt8]] = [Array("TCP4".utf8), Array("TCP6".utf8), Array("UNKNOWN".utf8)]
    private static let space = UInt8(ascii: " ")
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A

    /// Creates a parser for the start of one connection.
    /// - Parameter maxV2Length: the longest version 2 header accepted, clamped to
    ///   16…65551 (the fixed part, up to the largest length the format can express). Below
    ///   52 bytes IPv6 headers no longer fit; below 28, IPv4 ones.
    public init(maxV2Length: Int = ProxyHeaderParser.defaultV2MaxLength) {
        self.maxV2Length = min(max(maxV2Length, 16), 16 + 0xFFFF)
    }

    /// Parses the next bytes of the connection.
    ///
    /// Once the header is complete, further calls return it again with `consumed` 0; once an
    /// error is thrown, further calls throw it again.
    /// - Throws: ``ProxyHeaderError`` when the bytes are not an acceptable header.
    public mutating func parse(_ bytes: some Collection<UInt8>) throws(ProxyHeaderError) -> ParseResult {
        switch state {
        case .done(let header): return .header(header, consumed: 0)
        case .failed(let error): throw error
        case .detecting, .v1, .v2: break
        }
        var consumed = 0
        do throws(ProxyHeaderError) {
            for byte in bytes {
                consumed += 1
                if let header = try accept(byte) {
                    state = .done(header)
                    buffer = []
                    return .header(header, consumed: consumed)
                }
            }
        } catch {
            state = .failed(error)
            buffer = []
            throw error
        }
        return .needMoreData
    }

    /// Whether `bytes`, the first bytes of a connection, start a PROXY protocol header: decided
    /// at the first byte that differs from both `PROXY ` and the version 2 signature, or once
    /// one of them is complete. Only the prefix is looked at; the header may still be
    /// malformed.
    public static func detect(_ bytes: some Collection<UInt8>) -> Detection {
        guard let first = bytes.first else { return .undecided }
        let (prefix, version): ([UInt8], ProxyHeader.Version)
        if first == v1Prefix[0] {
            (prefix, version) = (v1Prefix, .v1)
        } else if first == v2Signature[0] {
            (prefix, version) = (v2Signature, .v2)
        } else {
            return .notProxyHeader
        }
        var matched = 0
        for (byte, expected) in zip(bytes, prefix) {
            guard byte == expected else { return .notProxyHeader }
            matched += 1
        }
        return matched == prefix.count ? .proxyHeader(version) : .undecided
    }

    /// Takes one byte; returns the header when it completes it.
    private mutating func accept(_ byte: UInt8) throws(ProxyHeaderError) -> ProxyHeader? {
        buffer.append(byte)
        let count = buffer.count
        switch state {
        case .detecting:
            let prefix = buffer[0] == Self.v1Prefix[0] ? Self.v1Prefix : Self.v2Signature
            guard byte == prefix[count - 1] else { throw .notAProxyHeader }
            if count == prefix.count {
                state = prefix.count == Self.v1Prefix.count ? .v1(protocolChecked: false) : .v2
                buffer.reserveCapacity(prefix.count == Self.v1Prefix.count ? Self.v1MaxLength : 52)
            }
            return nil
        case .v1(let protocolChecked):
            let afterCR = buffer[count - 2] == Self.carriageReturn
            if byte == Self.lineFeed {
                guard afterCR else { throw .malformedV1(.invalidLineEnding) }
                return try buffer.withUnsafeBufferPointer { (line) throws(ProxyHeaderError) in
                    try ProxyHeaderV1.decode(line[Self.v1Prefix.count..<(count - 2)])
                }
            }
            guard !afterCR else { throw .malformedV1(.invalidLineEnding) }
            if !protocolChecked {
                // Refuse an unknown protocol as soon as it differs, without waiting for the CRLF.
                let field = buffer[Self.v1Prefix.count..<(count - 1)]
                if byte == Self.space || byte == Self.carriageReturn {
                    guard Self.v1Protocols.contains(where: { $0.elementsEqual(field) }) else {
                        throw .malformedV1(.unknownProtocol)
                    }
                    state = .v1(protocolChecked: true)
                } else {
                    guard Self.v1Protocols.contains(where: { $0.starts(with: field + [byte]) }) else {
                        throw .malformedV1(.unknownProtocol)
                    }
                }
            }
            guard count < Self.v1MaxLength else { throw .tooLong(limit: Self.v1MaxLength) }
            return nil
        case .v2:
            if count == ProxyHeaderV2.fixedLength {
                try ProxyHeaderV2.checkFixedPart(buffer)
                guard ProxyHeaderV2.totalLength(buffer) <= maxV2Length else { throw .tooLong(limit: maxV2Length) }
            }
            guard count >= ProxyHeaderV2.fixedLength, count == ProxyHeaderV2.totalLength(buffer) else { return nil }
            return try buffer.withUnsafeBufferPointer { (header) throws(ProxyHeaderError) in
                try ProxyHeaderV2.decode(header[...])
            }
        case .done, .failed:
            return nil
        }
    }
}
