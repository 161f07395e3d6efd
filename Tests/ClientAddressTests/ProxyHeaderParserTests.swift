import ClientAddress
import Testing

@Suite("The PROXY header parser: detection, consumed bytes, state after the end")
struct ProxyHeaderParserTests {
    static let v1Line = v1("PROXY TCP4 203.0.113.9 192.0.2.80 40000 80")
    static let v2Header = V2Builder.tcp4([203, 0, 113, 9], [192, 0, 2, 80], 40000, 80).bytes
    static let expectedV1 = ProxyHeader(
        version: .v1, source: endpoint("203.0.113.9", 40000), destination: endpoint("192.0.2.80", 80))
    static let expectedV2 = ProxyHeader(
        version: .v2, source: endpoint("203.0.113.9", 40000), destination: endpoint("192.0.2.80", 80))

    @Test("bytes after the header are the application's, at every split")
    func trailingBytes() {
        let request = Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)
        for (header, expected) in [(Self.v1Line, Self.expectedV1), (Self.v2Header, Self.expectedV2)] {
            let bytes = header + request
            #expect(parseProxyEveryWay(bytes) == .header(expected, length: header.count))
            for split in 0...bytes.count {
                var parser = ProxyHeaderParser()
                var application: [UInt8] = []
                var found: ProxyHeader?
                for chunk in [bytes[..<split], bytes[split...]] {
                    if found != nil {
                        application += chunk
                        continue
                    }
                    switch try? parser.parse(chunk) {
                    case .header(let header, let consumed):
                        found = header
                        application += chunk.dropFirst(consumed)
                    case .needMoreData:
                        break
                    case nil:
                        Issue.record("threw at split \(split)")
                    }
                }
                #expect(found == expected, "split \(split)")
                #expect(application == request, "split \(split)")
            }
        }
    }

    @Test("a request line or TLS hello is not a PROXY header, known at the first differing byte")
    func notAProxyHeader() {
        let cases: [([UInt8], Int)] = [
            (Array("GET / HTTP/1.1\r\n".utf8), 1),
            ([0x16, 0x03, 0x01, 0x02, 0x00], 1),
            (Array("PRI * HTTP/2.0\r\n".utf8), 3),
            (Array("PROXZ TCP4".utf8), 5),
            (Array("PROXYTCP4".utf8), 6),
            (Array("\r\n\r\nGET".utf8), 5),
            ([0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B], 12),
        ]
        for (bytes, decidedAt) in cases {
            #expect(runProxyParser([bytes[..<(decidedAt - 1)]]) == .needMoreData, "\(bytes)")
            #expect(runProxyParser([bytes[..<decidedAt]]) == .error(.notAProxyHeader), "\(bytes)")
            #expect(parseProxyEveryWay(bytes) == .error(.notAProxyHeader))
        }
    }

    @Test("detect() decides from the prefix alone")
    func detect() {
        #expect(ProxyHeaderParser.detect([UInt8]()) == .undecided)
        #expect(ProxyHeaderParser.detect(Array("PROX".utf8)) == .undecided)
        #expect(ProxyHeaderParser.detect(Array("PROXY".utf8)) == .undecided)
        #expect(ProxyHeaderParser.detect(Array("PROXY ".utf8)) == .proxyHeader(.v1))
        #expect(ProxyHeaderParser.detect(Self.v1Line) == .proxyHeader(.v1))
        #expect(ProxyHeaderParser.detect(Array("PROXY!".utf8)) == .notProxyHeader)
        #expect(ProxyHeaderParser.detect(Array("GET".utf8)) == .notProxyHeader)
        #expect(ProxyHeaderParser.detect(Self.v2Header.prefix(11)) == .undecided)
        #expect(ProxyHeaderParser.detect(Self.v2Header.prefix(12)) == .proxyHeader(.v2))
        #expect(ProxyHeaderParser.detect(Self.v2Header) == .proxyHeader(.v2))
        #expect(ProxyHeaderParser.detect(Array("\r\n\r\n\r\n".utf8)) == .notProxyHeader)
        #expect(ProxyHeaderParser.detect(Array("\r\nGET".utf8)) == .notProxyHeader)
    }

    @Test("after the header, calls return it again with nothing consumed; after an error, they throw it again")
    func afterTheEnd() throws {
        var parser = ProxyHeaderParser()
        #expect(try parser.parse(Self.v1Line + [1, 2, 3]) == .header(Self.expectedV1, consumed: Self.v1Line.count))
        #expect(try parser.parse([4, 5, 6]) == .header(Self.expectedV1, consumed: 0))
        var failed = ProxyHeaderParser()
        #expect(throws: ProxyHeaderError.notAProxyHeader) { try failed.parse(Array("GET".utf8)) }
        #expect(throws: ProxyHeaderError.notAProxyHeader) { try failed.parse(Self.v1Line) }
    }

    @Test("empty chunks change nothing")
    func emptyChunks() throws {
        var parser = ProxyHeaderParser()
        #expect(try parser.parse([UInt8]()) == .needMoreData)
        #expect(try parser.parse(Self.v2Header.prefix(5)) == .needMoreData)
        #expect(try parser.parse([UInt8]()) == .needMoreData)
        #expect(try parser.parse(Self.v2Header.dropFirst(5)) == .header(Self.expectedV2, consumed: 23))
    }

    @Test("raw buffers work as chunks")
    func rawBuffers() throws {
        var parser = ProxyHeaderParser()
        let result = try Self.v2Header.withUnsafeBytes { (buffer) throws(ProxyHeaderError) in
            try parser.parse(buffer)
        }
        #expect(result == .header(Self.expectedV2, consumed: 28))
    }
}
