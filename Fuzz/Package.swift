// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for swift-faye's parsers (issue 11). Built by scripts/fuzz.sh with
// `swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address` (swiftc keeps
// only the last -sanitize= flag, so both sanitizers go in one); each executable defines
// `LLVMFuzzerTestOneInput` and gets its `main` from libFuzzer, hence `-parse-as-library`.
// Only the sans-IO library products are used, so nothing from SwiftNIO is built.

let fuzzTargets: [(name: String, products: [String])] = [
    ("FuzzServerFrames", ["WebSocketDriver", "PermessageDeflate"]),
    ("FuzzClientFrames", ["WebSocketDriver", "PermessageDeflate"]),
    ("FuzzHTTPRequest", ["WebSocketDriver"]),
    ("FuzzHTTPResponse", ["WebSocketDriver", "PermessageDeflate"]),
    ("FuzzProxyResponse", ["WebSocketDriver"]),
    ("FuzzExtensionHeader", ["WebSocketExtensions", "PermessageDeflate"]),
    ("FuzzInflate", ["WebSocketExtensions", "PermessageDeflate"]),
    ("FuzzDraft76", ["WebSocketDriver"]),
    ("FuzzEventStream", ["EventStream"]),
]

let package = Package(
    name: "swift-faye-fuzz",
    dependencies: [
        .package(name: "swift-faye", path: "..")
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "WebSocketDriver", package: "swift-faye")])
    ]
        + fuzzTargets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzSupport"] + target.products.map { .product(name: $0, package: "swift-faye") },
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        },
    swiftLanguageModes: [.v6]
)
