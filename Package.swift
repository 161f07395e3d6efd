// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-faye",
    products: [
        .library(name: "WebSocketExtensions", targets: ["WebSocketExtensions"]),
        .library(name: "WebSocketDriver", targets: ["WebSocketDriver"]),
        .library(name: "PermessageDeflate", targets: ["PermessageDeflate"]),
        .library(name: "FayeWebSocket", targets: ["FayeWebSocket"]),
        .library(name: "FayeEventSource", targets: ["FayeEventSource"]),
    ],
    targets: [
        // System libraries, found through pkg-config; the apt providers name the Debian packages.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // Library targets, lowest layer first. Each imports only targets below it.
        .target(name: "WebSocketExtensions", swiftSettings: strictSettings),
        .target(
            name: "WebSocketDriver",
            dependencies: ["WebSocketExtensions"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PermessageDeflate",
            dependencies: ["WebSocketExtensions", "CZlib"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FayeWebSocket",
            dependencies: ["WebSocketDriver", "COpenSSL"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FayeEventSource",
            dependencies: ["FayeWebSocket"],
            swiftSettings: strictSettings
        ),

        // One test target per library module.
        .testTarget(
            name: "WebSocketExtensionsTests",
            dependencies: ["WebSocketExtensions"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WebSocketDriverTests",
            dependencies: ["WebSocketDriver"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PermessageDeflateTests",
            dependencies: ["PermessageDeflate", "WebSocketDriver"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeWebSocketTests",
            dependencies: ["FayeWebSocket"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeEventSourceTests",
            dependencies: ["FayeEventSource"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
