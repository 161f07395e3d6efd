import WebSocketDriver

/// The `Sec-WebSocket-Accept` a server must answer to the request a client driver wrote.
public func acceptValue(forRequest written: [UInt8]) -> String {
    let text = String(decoding: written, as: UTF8.self)
    for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix("sec-websocket-key:") {
        let key = line.dropFirst("sec-websocket-key:".count).trimmingPrefix(" ")
        return Driver.acceptValue(forKey: String(key))
    }
    return ""
}

/// `bytes` with every `@ACCEPT@` of the head (up to the first empty line) replaced by
/// `accept`, so that a corpus entry can carry the right `Sec-WebSocket-Accept` for the random
/// key of each run. Frames after the head are left alone: a frame boundary could otherwise cut
/// the run-specific value, and two runs could not be compared.
public func substitutingAccept(_ bytes: [UInt8], accept: String) -> [UInt8] {
    // The head ends at the first empty line, with LF or CRLF line endings (as the parser reads it).
    let lineFeed = UInt8(ascii: "\n")
    let carriageReturn = UInt8(ascii: "\r")
    var headEnd = bytes.count
    var index = 0
    while index < bytes.count {
        if bytes[index] == lineFeed {
            if index + 1 < bytes.count, bytes[index + 1] == lineFeed {
                headEnd = index + 2
                break
            }
            if index + 2 < bytes.count, bytes[index + 1] == carriageReturn, bytes[index + 2] == lineFeed {
                headEnd = index + 3
                break
            }
        }
        index += 1
    }
    let head = replacing(Array("@ACCEPT@".utf8), with: Array(accept.utf8), in: Array(bytes[..<headEnd]))
    return head + bytes[headEnd...]
}

/// `bytes` with every run of 8 or more bytes that occurs in `secret` replaced by `@ACCEPT@`:
/// the whole value, or a piece of it that an error message's excerpt kept.
func redacting(_ bytes: [UInt8], _ secret: [UInt8]) -> [UInt8] {
    let shortest = 8
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
        var longest = 0
        for start in secret.indices {
            var length = 0
            while start + length < secret.count, index + length < bytes.count,
                secret[start + length] == bytes[index + length]
            {
                length += 1
            }
            longest = max(longest, length)
        }
        if longest >= shortest {
            result += Array("@ACCEPT@".utf8)
            index += longest
        } else {
            result.append(bytes[index])
            index += 1
        }
    }
    return result
}

private func replacing(_ marker: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count + 32)
    var index = 0
    while index < bytes.count {
        if index + marker.count <= bytes.count, bytes[index..<index + marker.count].elementsEqual(marker) {
            result += replacement
            index += marker.count
        } else {
            result.append(bytes[index])
            index += 1
        }
    }
    return result
}
