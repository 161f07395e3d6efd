// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for swift-faye's parsers (issue 11). Built by scripts/fuzz.sh with
// `swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address` (swiftc keeps
// only the last -sanitize= flag, so both sanitizers go in one); each executable defines
// `LLVMFuzzerTestOneInput` and gets its `main` from libFuzzer, hence `-parse-as-library`.
// The parser targets use only the sans-IO library products. FuzzHTTP2 drives the embedded
// server's HTTP/2 path on an in-memory channel, so it alone needs SwiftNIO (NIOEmbedded for the
// channel, NIOHPACK for the client's header blocks) and swift-log (the logger `configure` takes).

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
    ("FuzzClientAddress", ["ClientAddress"]),
]

let package = Package(
    name: "swift-faye-fuzz",
    dependencies: [
        .package(name: "swift-faye", path: ".."),
        // Already dependencies of swift-faye (same versions); named here for FuzzHTTP2's imports.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
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
        }
        + [
            .executableTarget(
                name: "FuzzHTTP2",
                dependencies: [
                    "FuzzSupport",
                    .product(name: "FayeWebSocket", package: "swift-faye"),
                    .product(name: "FayeEventSource", package: "swift-faye"),
                    .product(name: "PermessageDeflate", package: "swift-faye"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "NIOEmbedded", package: "swift-nio"),
                    .product(name: "NIOHPACK", package: "swift-nio-http2"),
                    .product(name: "Logging", package: "swift-log"),
                ],
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        ],
    swiftLanguageModes: [.v6]
)
