/// The messages of the battery. The peer servers (scripts/interop/) know the same constants.
enum Payloads {
    /// The sizes every echo check runs at: around each frame-length encoding boundary, then
    /// large messages.
    static let echoSizes = [0, 1, 125, 126, 127, 65_535, 65_536, 1 << 20, 16 << 20]

    /// Text with two-, three- and four-byte UTF-8 characters.
    static let multibyteText =
        "\u{3BA}\u{1F79}\u{3C3}\u{3BC}\u{3B5} \u{2014} \u{FC} \u{DF} \u{2603} \u{2713} \u{4E2D}\u{6587} \u{1D11E} \u{1F600}"

    /// What a peer server sends, fragmented with boundaries inside characters, on `/fragmented`.
    static let fragmentedText = "fragments: \u{125}\u{E9}llo w\u{F6}rld \u{2603} \u{2713} \u{2014} \u{1D11E} \u{1F600}"

    /// The payload of the ping a peer server sends on `/ping`.
    static let serverPingPayload = Array("server-ping \u{2603}".utf8)

    /// What a peer server sends on `/ping` once the matching pong arrived.
    static let serverPingConfirmation = "pong ok"

    /// ASCII text of exactly `count` bytes: pseudo-random words (compressible, not trivially).
    static func text(count: Int, seed: UInt64) -> String {
        let words = [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
            "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
        ]
        var generator = SplitMix64(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 16)
        while bytes.count < count {
            let word = words[Int(generator.next() % UInt64(words.count))]
            bytes.append(contentsOf: word.utf8)
            bytes.append(generator.next() % 8 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    /// `count` pseudo-random bytes (incompressible).
    static func binary(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    /// Highly compressible text of `count` bytes: JSON-like records that repeat with small
    /// changes.
    static func compressibleText(count: Int) -> String {
        var text = ""
        var index = 0
        while text.utf8.count < count {
            text += "{\"id\":\(index),\"type\":\"tick\",\"status\":\"ok\",\"payload\":\"interoperability\"}\n"
            index += 1
        }
        return String(decoding: Array(text.utf8)[..<count], as: UTF8.self)
    }
}

/// SplitMix64: a tiny deterministic generator, so payloads are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
