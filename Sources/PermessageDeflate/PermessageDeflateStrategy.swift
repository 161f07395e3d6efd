internal import CZlib

extension PermessageDeflate {
    /// A zlib compression strategy (`deflateInit2`'s `strategy` argument).
    public enum Strategy: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// `Z_DEFAULT_STRATEGY`: LZ77 matching with Huffman coding, for general data.
        case `default`
        /// `Z_FILTERED`: favours Huffman coding over short matches, for filtered numeric data.
        case filtered
        /// `Z_HUFFMAN_ONLY`: no matching at all, only Huffman coding.
        case huffmanOnly
        /// `Z_RLE`: matches at distance one only (run-length encoding).
        case runLength
        /// `Z_FIXED`: LZ77 matching with the fixed Huffman codes only.
        case fixed

        /// Whether the strategy never emits a match further back than one byte, so that its
        /// output inflates with any window, including 8 bits.
        var keepsMatchesWithinOneByte: Bool {
            self == .huffmanOnly || self == .runLength
        }

        var zlibValue: Int32 {
            switch self {
            case .default: return Z_DEFAULT_STRATEGY
            case .filtered: return Z_FILTERED
            case .huffmanOnly: return Z_HUFFMAN_ONLY
            case .runLength: return Z_RLE
            case .fixed: return Z_FIXED
            }
        }

        /// The case name, e.g. `runLength`.
        public var description: String {
            switch self {
            case .default: return "default"
            case .filtered: return "filtered"
            case .huffmanOnly: return "huffmanOnly"
            case .runLength: return "runLength"
            case .fixed: return "fixed"
            }
        }
    }
}
