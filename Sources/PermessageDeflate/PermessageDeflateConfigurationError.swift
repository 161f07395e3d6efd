extension PermessageDeflate {
    /// An option value that ``PermessageDeflate/init(compressionLevel:memoryLevel:strategy:noContextTakeover:requestNoContextTakeover:maxWindowBits:requestMaxWindowBits:compressionThreshold:)``
    /// refused.
    public enum ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
        /// `compressionLevel` is not `-1` or `0...9`.
        case invalidCompressionLevel(Int)
        /// `memoryLevel` is not in `1...9`.
        case invalidMemoryLevel(Int)
        /// `maxWindowBits` is not in `8...15` (RFC 7692 §7.1.2).
        case invalidMaxWindowBits(Int)
        /// `requestMaxWindowBits` is not in `8...15` (RFC 7692 §7.1.2).
        case invalidRequestMaxWindowBits(Int)
        /// `compressionThreshold` is negative.
        case invalidCompressionThreshold(Int)

        /// The error as a sentence naming the option, its value and the values allowed.
        public var description: String {
            switch self {
            case .invalidCompressionLevel(let value):
                return "Invalid permessage-deflate compressionLevel \(value): expected -1 (zlib's default) or 0...9"
            case .invalidMemoryLevel(let value):
                return "Invalid permessage-deflate memoryLevel \(value): expected 1...9"
            case .invalidMaxWindowBits(let value):
                return "Invalid permessage-deflate maxWindowBits \(value): expected 8...15"
            case .invalidRequestMaxWindowBits(let value):
                return "Invalid permessage-deflate requestMaxWindowBits \(value): expected 8...15"
            case .invalidCompressionThreshold(let value):
                return "Invalid permessage-deflate compressionThreshold \(value): expected 0 or more bytes"
            }
        }
    }
}
