/// Parsing and serialization of `Sec-WebSocket-Extensions` values (RFC 6455 §9.1, with the
/// token and quoted-string rules of RFC 7230 §3.2.6).
///
/// The grammar accepted, where `OWS` is any run of spaces and tabs:
///
/// ```
/// header    = OWS [ extension *( OWS "," OWS extension ) ] OWS
/// extension = token *( OWS ";" OWS parameter )
/// parameter = token [ "=" ( token / quoted-string ) ]
/// ```
///
/// Parsing is a single left-to-right pass, so it takes linear time on any input (the Ruby gem
/// once had a regular-expression denial of service here, CVE-2020-7663). Empty list elements
/// (`a,,b`, `a,`), white space around `=`, and control characters other than tab inside
/// quoted-strings are rejected.
public enum ExtensionHeader {
    /// Parses a header value into its elements, in order.
    ///
    /// `nil`, an empty value, or one of only white space gives an empty list.
    /// - Throws: ``ExtensionHeaderError/malformed(excerpt:position:expected:)`` naming the
    ///   first offending byte.
    public static func parse(_ header: String?) throws(ExtensionHeaderError) -> [ExtensionOffer] {
        guard let header else { return [] }
        var scanner = Scanner(bytes: Array(header.utf8), header: header)
        return try scanner.parseList()
    }

    /// Serializes elements as `a; b=1, c; d="x y"`: parameters in their order, values quoted
    /// only when they are not tokens, `"` and `\` escaped inside quotes.
    ///
    /// `parse(serialize(x)) == x` for every `x` this accepts.
    /// - Throws: ``ExtensionHeaderError/invalidName(_:)`` for a name that is not a token, or
    ///   ``ExtensionHeaderError/invalidValue(parameter:value:)`` for a value with a control
    ///   character.
    public static func serialize(_ offers: [ExtensionOffer]) throws(ExtensionHeaderError) -> String {
        var text = ""
        for (index, offer) in offers.enumerated() {
            try validate(offer)
            if index > 0 { text += ", " }
            append(offer, to: &text)
        }
        return text
    }

    /// Checks that an element can be serialized faithfully.
    public static func validate(_ offer: ExtensionOffer) throws(ExtensionHeaderError) {
        guard HTTPToken.isToken(offer.name) else { throw .invalidName(offer.name) }
        for parameter in offer.parameters {
            guard HTTPToken.isToken(parameter.name) else { throw .invalidName(parameter.name) }
            if let value = parameter.value,
                !value.utf8.allSatisfy({ HTTPToken.isQuotedPairByte($0) })
            {
                throw .invalidValue(parameter: parameter.name, value: value)
            }
        }
    }

    static func append(_ offer: ExtensionOffer, to text: inout String) {
        text += offer.name
        for parameter in offer.parameters {
            text += "; "
            append(parameter, to: &text)
        }
    }

    static func append(_ parameter: ExtensionParameter, to text: inout String) {
        text += parameter.name
        guard let value = parameter.value else { return }
        text += "="
        if HTTPToken.isToken(value) {
            text += value
            return
        }
        text += "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { text += "\\" }
            text.unicodeScalars.append(scalar)
        }
        text += "\""
    }
}

extension ExtensionHeader {
    /// The single-pass scanner behind ``ExtensionHeader/parse(_:)``.
    fileprivate struct Scanner {
        let bytes: [UInt8]
        let header: String
        var index = 0

        init(bytes: [UInt8], header: String) {
            self.bytes = bytes
            self.header = header
        }

        mutating func parseList() throws(ExtensionHeaderError) -> [ExtensionOffer] {
            skipWhitespace()
            guard index < bytes.count else { return [] }
            var offers: [ExtensionOffer] = []
            while true {
                offers.append(try parseExtension())
                skipWhitespace()
                guard index < bytes.count else { return offers }
                guard bytes[index] == UInt8(ascii: ",") else {
                    throw error("\",\", \";\" or the end of the header")
                }
                index += 1
                skipWhitespace()
            }
        }

        mutating func parseExtension() throws(ExtensionHeaderError) -> ExtensionOffer {
            let name = try parseToken(what: "an extension name (token)")
            var parameters = ExtensionParameters()
            while true {
                let mark = index
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ";") else {
                    index = mark
                    return ExtensionOffer(name: name, parameters: parameters)
                }
                index += 1
                skipWhitespace()
                parameters.append(try parseParameter())
            }
        }

        mutating func parseParameter() throws(ExtensionHeaderError) -> ExtensionParameter {
            let name = try parseToken(what: "a parameter name (token)")
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                return ExtensionParameter(name)
            }
            index += 1
            guard index < bytes.count else { throw error("a parameter value") }
            if bytes[index] == UInt8(ascii: "\"") {
                return ExtensionParameter(name, value: try parseQuotedString())
            }
            return ExtensionParameter(name, value: try parseToken(what: "a token or quoted-string value"))
        }

        mutating func parseToken(what: String) throws(ExtensionHeaderError) -> String {
            let start = index
            while index < bytes.count, HTTPToken.isTokenByte(bytes[index]) { index += 1 }
            guard index > start else { throw error(what) }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func parseQuotedString() throws(ExtensionHeaderError) -> String {
            index += 1  // opening quote
            var value: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: value, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count, HTTPToken.isQuotedPairByte(bytes[index]) else {
                        throw error("an escaped character after \"\\\"")
                    }
                    value.append(bytes[index])
                } else {
                    guard HTTPToken.isQuotedTextByte(byte) else {
                        throw error("a quoted-string character or the closing quote")
                    }
                    value.append(byte)
                }
                index += 1
            }
            throw error("the closing quote of a quoted-string")
        }

        mutating func skipWhitespace() {
            while index < bytes.count, HTTPToken.isWhitespace(bytes[index]) { index += 1 }
        }

        func error(_ expected: String) -> ExtensionHeaderError {
            let limit = 120
            let excerpt: String
            if bytes.count <= limit {
                excerpt = header
            } else {
                // Cut before a character that straddles the limit, not through its bytes.
                var end = limit
                while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
                excerpt = String(decoding: bytes[..<end], as: UTF8.self) + "..."
            }
            return .malformed(excerpt: excerpt, position: index, expected: expected)
        }
    }
}
