import Testing

@testable import WebSocketDriver

@Suite("MD5")
struct MD5Tests {
    @Test(
        "RFC 1321 §A.5 test suite",
        arguments: [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a"
            ),
        ])
    func vector(message: String, digest: String) {
        #expect(Self.hex(MD5.hash(Array(message.utf8))) == digest)
        #expect(Self.hex(MD5.hash(message.utf8)) == digest)
    }

    @Test(
        "Padding boundaries around 56 and 64 bytes",
        arguments: [
            (55, "6912ee65fff2d9f9ce2508cddf8bcda0"),
            (56, "51fdd1acda72405dfdfa03fcb85896d7"),
            (57, "5320ef4c17ef34a0cf2db763338d25eb"),
            (63, "48a6295221902e8e0938f773a7185e72"),
            (64, "b2d3f56bc197fd985d5965079b5e7148"),
            (65, "8bd7053801c768420faf816fadba971c"),
            (119, "1c772251899a7ff007400b888d6b2042"),
            (120, "b7ba1efc6022e9ed272f00b8831e26e6"),
            (127, "8402b21e7bc7906493bae0dac017f1f9"),
            (128, "37eff01866ba3f538421b30b7cbefcac"),
            (129, "46f986692847558fc38b0cece591c20f"),
        ])
    func boundary(length: Int, digest: String) {
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        #expect(Self.hex(MD5.hash(message)) == digest)
        #expect(Self.hex(MD5.hash((0..<length).lazy.map { UInt8(truncatingIfNeeded: $0) })) == digest)
    }

    @Test("draft-hixie-thewebsocketprotocol-76 §1.3 handshake challenge")
    func draft76Challenge() {
        // Key1 "18x 6]8vM;54 *(5:  {   U1]8  z [  8" gives 1868545188 / 12 = 155712099,
        // key2 "1_ tx7X d  <  nw  334J702) 7]o}` 0" gives 1733470270 / 10 = 173347027.
        var challenge: [UInt8] = []
        for number in [UInt32(155_712_099), UInt32(173_347_027)] {
            challenge += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: number >> $0) }
        }
        challenge += Array("Tm[K T2u".utf8)
        #expect(MD5.hash(challenge) == Array("fQJ,fN/4F4!~K~MH".utf8))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
