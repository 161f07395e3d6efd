import Testing

@testable import WebSocketDriver

@Suite("SHA-1")
struct SHA1Tests {
    @Test(
        "FIPS 180-4 and RFC 3174 test vectors",
        arguments: [
            // RFC 3174 TEST1 / FIPS 180 "abc".
            ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            // The empty message.
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            // RFC 3174 TEST2 / FIPS 180 two-block 448-bit message.
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
            ),
            // FIPS 180 896-bit message.
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "a49b2446a02c645bf419f995b67091253a04a259"
            ),
            // RFC 3174 TEST4: 64 bytes repeated 10 times.
            (
                String(repeating: "0123456701234567012345670123456701234567012345670123456701234567", count: 10),
                "dea356a2cddd90c7a7ecedc5ebb563934f460452"
            ),
        ])
    func vector(message: String, digest: String) {
        #expect(Self.hex(SHA1.hash(Array(message.utf8))) == digest)
        #expect(Self.hex(SHA1.hash(message.utf8)) == digest)
    }

    @Test("RFC 3174 TEST3: one million 'a'")
    func millionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.hex(SHA1.hash(message)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test(
        "Padding boundaries around 56 and 64 bytes",
        arguments: [
            (55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"),
            (56, "636e2ec698dac903498e648bd2f3af641d3c88cb"),
            (57, "7cb1330f35244b57437539253304ea78a6b7c443"),
            (63, "6d942da0c4392b123528f2905c713a3ce28364bd"),
            (64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7"),
            (65, "69bd728ad6e13cd76ff19751fde427b00e395746"),
            (119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08"),
            (120, "d3dbd653bd8597b7475321b60a36891278e6a04a"),
            (127, "89d7312a903f65cd2b3e34a975e55dbea9033353"),
            (128, "e6434bc401f98603d7eda504790c98c67385d535"),
            (129, "3352e41cc30b40ae80108970492b21014049e625"),
        ])
    func boundary(length: Int, digest: String) {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        #expect(Self.hex(SHA1.hash(message)) == digest)
        // A collection without contiguous storage takes the copying path.
        #expect(Self.hex(SHA1.hash((0..<length).lazy.map { UInt8(truncatingIfNeeded: $0) })) == digest)
    }

    @Test("RFC 6455 §1.3: Sec-WebSocket-Accept of the sample key")
    func webSocketAccept() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==" + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        let digest = SHA1.hash(key.utf8)
        #expect(digest.count == 20)
        #expect(Base64.encode(digest) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("Digests are 20 bytes")
    func length() {
        for length in 0..<70 {
            #expect(SHA1.hash([UInt8](repeating: 0, count: length)).count == 20)
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
