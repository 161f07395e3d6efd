import ClientAddress
import FuzzSupport

/// The `ClientAddress` parsers: `ProxyHeaderParser`, `ForwardedHeader`,
/// `ForwardedIdentityResolver`, `IPAddress` and `AddressRange`.
///
/// Input: a mode byte (its low 2 bits choose the parser), a chunking seed byte, a bound byte,
/// then the data.
/// - Mode 0, PROXY: the data is parsed in one read, a byte at a time, and in chunks each in an
///   allocation of its own size (so AddressSanitizer catches a read past a chunk); all three must
///   end alike (the same header and header length, or the same error, or more data needed).
///   `ProxyHeaderParser.detect` must agree with `notAProxyHeader`; a header is at most 107 bytes
///   (v1) or the v2 bound (`maxV2Length` from the bound byte × 8); source and destination are
///   both set or both nil, never with `isLocal`; after the header, a further call returns it
///   again with nothing consumed.
/// - Mode 1, Forwarded: the data, split at LF into field lines, is parsed under limits from the
///   bound byte; a header that parses prints a value that parses back to the same non-empty
///   elements, within the limits. The resolver, from a trusted peer and with `maxHops` from the
///   bound byte, returns the peer itself or an address found in the data.
/// - Mode 2, X-Forwarded-*: the lines are X-Forwarded-For, -Proto and -Host values; the
///   resolver's scheme is lowercase, its host parses as a `Forwarded` host.
/// - Mode 3, addresses and ranges: each line is parsed; what parses prints text that parses
///   back to the same value, and a range contains its own address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientAddress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte() & 3
    let seed = input.byte()
    let bound = Int(input.byte())
    let payload = input.rest()
    switch mode {
    case 0: fuzzProxy(payload, seed: seed, maxV2Length: 16 + bound * 8)
    case 1: fuzzForwarded(payload, bound: bound)
    case 2: fuzzXForwarded(payload, bound: bound)
    default: fuzzAddresses(payload)
    }
    return 0
}

private enum Outcome: Equatable {
    case header(ProxyHeader, length: Int)
    case needMoreData
    case error(ProxyHeaderError)
}

private func run(_ chunks: [ArraySlice<UInt8>], maxV2Length: Int, ownAllocations: Bool) -> Outcome {
    var parser = ProxyHeaderParser(maxV2Length: maxV2Length)
    var offset = 0
    for chunk in chunks {
        let result: ProxyHeaderParser.ParseResult
        do throws(ProxyHeaderError) {
            if ownAllocations {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 1)
                defer { buffer.deallocate() }
                buffer.copyBytes(from: chunk)
                result = try parser.parse(UnsafeRawBufferPointer(buffer))
            } else {
                result = try parser.parse(chunk)
            }
        } catch {
            return .error(error)
        }
        switch result {
        case .needMoreData:
            offset += chunk.count
        case .header(let header, let consumed):
            fuzzCheck(consumed >= 1 && consumed <= chunk.count, "consumed \(consumed) of a \(chunk.count)-byte chunk")
            let again = try? parser.parse([UInt8(0)])
            fuzzCheck(again == .header(header, consumed: 0), "a call after the header gave \(String(describing: again))")
            return .header(header, length: offset + consumed)
        }
    }
    return .needMoreData
}

private func fuzzProxy(_ bytes: [UInt8], seed: UInt8, maxV2Length: Int) {
    let whole = run([bytes[...]], maxV2Length: maxV2Length, ownAllocations: false)
    let bytewise = run(bytes.map { [$0][...] }, maxV2Length: maxV2Length, ownAllocations: false)
    var chunker = Chunker(seed: seed)
    let chunked = run(chunker.split(bytes), maxV2Length: maxV2Length, ownAllocations: true)
    fuzzCheck(whole == bytewise, "one read: \(whole), a byte at a time: \(bytewise)")
    fuzzCheck(whole == chunked, "one read: \(whole), in chunks: \(chunked)")

    let detection = ProxyHeaderParser.detect(bytes)
    switch whole {
    case .error(.notAProxyHeader):
        fuzzCheck(detection == .notProxyHeader, "notAProxyHeader but detect() says \(detection)")
    case .header(let header, let length):
        fuzzCheck(detection == .proxyHeader(header.version), "a v\(header.version.rawValue) header, detect() \(detection)")
        fuzzCheck(length <= (header.version == .v1 ? ProxyHeaderParser.v1MaxLength : maxV2Length), "\(length) bytes")
        fuzzCheck((header.source == nil) == (header.destination == nil), "one endpoint without the other")
        fuzzCheck(!(header.isLocal && header.source != nil), "a LOCAL header with endpoints")
        fuzzCheck(header.version == .v2 || header.tlvs.isEmpty, "TLVs in a v1 header")
    case .needMoreData, .error:
        fuzzCheck(detection != .notProxyHeader, "detect() refused what the parser did not (\(whole))")
    }
}

private func lines(_ bytes: [UInt8]) -> [String] {
    bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
}

private func fuzzForwarded(_ bytes: [UInt8], bound: Int) {
    let values = lines(bytes)
    let limits = ForwardedHeader.Limits(maxLength: bound * 4, maxElements: bound & 31)
    if let header = ForwardedHeader(validating: values, limits: limits) {
        fuzzCheck(header.elements.count <= limits.maxElements, "\(header.elements.count) elements")
        let printed = ForwardedHeader(elements: header.elements.filter { !$0.isEmpty })
        let reparsed = ForwardedHeader(validating: header.description, limits: ForwardedHeader.Limits(maxLength: 1 << 20))
        fuzzCheck(reparsed == printed, "\(header) printed back as \(String(describing: reparsed))")
    }
    let peer = IPAddress.ipv4(10, 0, 0, 1)
    let resolver = ForwardedIdentityResolver(
        trustedProxies: TrustedProxies([AddressRange(peer)]), headerPolicy: .forwardedOnly, maxHops: bound & 63)
    let identity = resolver.resolve(peer: peer, headers: values.map { (name: "Forwarded", value: $0) })
    checkIdentity(identity, peer: peer, text: bytes)
}

private func fuzzXForwarded(_ bytes: [UInt8], bound: Int) {
    let names = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"]
    let headers = lines(bytes).enumerated().map { (name: names[$0.offset % 3], value: $0.element) }
    let peer = IPAddress.ipv4(10, 0, 0, 1)
    let resolver = ForwardedIdentityResolver(
        trustedProxies: TrustedProxies([AddressRange(peer)]), headerPolicy: .xForwardedOnly, maxHops: bound & 63)
    let identity = resolver.resolve(peer: peer, headers: headers)
    checkIdentity(identity, peer: peer, text: bytes)
    if let scheme = identity.scheme { fuzzCheck(scheme == scheme.lowercased(), "scheme \(scheme)") }
    if let host = identity.host {
        fuzzCheck(ForwardedHeader(validating: "host=\"\(host)\"") != nil, "host \(host.debugDescription)")
    }
}

private func checkIdentity(_ identity: ForwardedIdentity, peer: IPAddress, text: [UInt8]) {
    if identity.source == .connection {
        fuzzCheck(identity.address == peer && identity.port == nil, "a connection identity \(identity)")
    } else {
        // The address came from the data: some spelling of it is there.
        fuzzCheck(text.count >= 2, "an address from \(text.count) bytes")
    }
}

private func fuzzAddresses(_ bytes: [UInt8]) {
    for line in lines(bytes) {
        if let address = IPAddress(line) {
            fuzzCheck(IPAddress(address.description) == address, "\(line.debugDescription) → \(address)")
            fuzzCheck(IPAddress(bytes: address.bytes) == address, "bytes of \(address)")
        }
        if let range = try? AddressRange(parsing: line) {
            fuzzCheck((try? AddressRange(parsing: range.description)) == range, "range \(range)")
            fuzzCheck(range.contains(range.address), "\(range) without its address")
        }
        _ = try? TrustedProxies(parsing: line)
    }
}
