import FayeTestSupport
import Testing

@testable import WebSocketDriver

@Suite("Base64")
struct Base64Tests {
    @Test(
        "RFC 4648 §10 test vectors, both ways",
        arguments: [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ])
    func vector(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.encode(plain.utf8) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("Every byte value and both alphabet extremes")
    func allBytes() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.encode([0, 0, 0]) == "AAAA")
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test("Sec-WebSocket-Key: 16 bytes encode to 24 characters ending in ==")
    func webSocketKey() {
        let key = Base64.encode([UInt8](repeating: 0xA5, count: 16))
        #expect(key.utf8.count == 24)
        #expect(key.hasSuffix("=="))
        #expect(Base64.decode("dGhlIHNhbXBsZSBub25jZQ==") == Array("the sample nonce".utf8))
    }

    @Test(
        "Strict decoding rejects",
        arguments: [
            "Zg",  // length not a multiple of 4
            "Zg=",  // length not a multiple of 4
            "Zm9vY",  // length not a multiple of 4
            "Z===",  // too much padding
            "====",  // only padding
            "=Zg=",  // padding at the start
            "Zm=v",  // padding in the middle of a quartet
            "Zg==Zg==",  // padding before the end
            "Zm9v\n",  // trailing newline
            " Zm9v",  // leading space
            "Zm9v YmFy",  // inner space
            "Zm9v\r\nYmFy",  // line break
            "Zm9v-_==",  // URL-safe alphabet
            "Zm9*",  // character outside the alphabet
            "Zm\u{E9}",  // non-ASCII
            "Zh==",  // non-canonical: unused bits set before "=="
            "Zm9=",  // non-canonical: unused bits set before "="
            "AB==",  // non-canonical
            "AAB=",  // non-canonical
        ])
    func rejects(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("Canonical forms next to the rejected ones decode")
    func canonical() {
        #expect(Base64.decode("Zg==") == [0x66])
        #expect(Base64.decode("AA==") == [0x00])
        #expect(Base64.decode("AAA=") == [0x00, 0x00])
        #expect(Base64.decode("Zm8=") == [0x66, 0x6F])
    }

    @Test("Random round trips (seeded)")
    func roundTrip() {
        var generator = SplitMix64(seed: 0x6455_7692)
        for _ in 0..<500 {
            let count = Int.random(in: 0...100, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count == (count + 2) / 3 * 4)
            #expect(Base64.decode(encoded) == bytes)
        }
    }
}
