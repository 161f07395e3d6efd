// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-faye",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "WebSocketExtensions", targets: ["WebSocketExtensions"]),
        .library(name: "WebSocketDriver", targets: ["WebSocketDriver"]),
        .library(name: "PermessageDeflate", targets: ["PermessageDeflate"]),
        .library(name: "FayeWebSocket", targets: ["FayeWebSocket"]),
        .library(name: "EventStream", targets: ["EventStream"]),
        .library(name: "ClientAddress", targets: ["ClientAddress"]),
        .library(name: "FayeEventSource", targets: ["FayeEventSource"]),
        .executable(name: "faye-server", targets: ["faye-server"]),
        .executable(name: "faye-client", targets: ["faye-client"]),
        .executable(name: "faye-autobahn-client", targets: ["faye-autobahn-client"]),
        .executable(name: "faye-eventsource", targets: ["faye-eventsource"]),
        .library(name: "FayeVapor", targets: ["FayeVapor"]),
        .library(name: "FayeHummingbird", targets: ["FayeHummingbird"]),
        .executable(name: "faye-vapor-demo", targets: ["faye-vapor-demo"]),
        .executable(name: "faye-hummingbird-demo", targets: ["faye-hummingbird-demo"]),
        .executable(name: "faye-fanout-demo", targets: ["faye-fanout-demo"]),
    ],
    // Host integrations, each behind its trait: a package that enables neither never fetches
    // Vapor or Hummingbird (SwiftPM prunes dependencies used only by disabled traits). The
    // fan-out demo's PostgreSQL client is behind a trait of its own for the same reason.
    traits: [
        .trait(name: "Vapor", description: "FayeVapor: our WebSockets and EventSources in Vapor 4 routes."),
        .trait(name: "Hummingbird", description: "FayeHummingbird: our WebSockets and EventSources in Hummingbird 2."),
        .trait(
            name: "PostgresFanOut",
            description: "faye-fanout-demo: a chat whose instances share messages through PostgreSQL LISTEN/NOTIFY."
        ),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // HTTP/2 framing, HPACK and flow control for the embedded server and the client
        // (WebSockets over h2 by RFC 8441 extended CONNECT, EventSource streams on h2).
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The library's metrics API (a no-op until an application bootstraps a backend), and the
        // Prometheus backend that faye-server exposes with --metrics-port.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        // Only under the host traits, for the frameworks' own TLS (Vapor's, and Hummingbird's
        // `.tls(...)` in FayeHummingbird's tests); both frameworks depend on it already.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Only under the Hummingbird trait: the HTTP types Hummingbird's child channels speak
        // (FayeHTTP1Channel hands the router NIOHTTPTypes parts, as Hummingbird's own channel does).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Only under the PostgresFanOut trait: the PostgreSQL client of faye-fanout-demo (its
        // instances share a chat's messages through a table and LISTEN/NOTIFY).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
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
        // Plain C functions for the OpenSSL macros Swift cannot import.
        .target(name: "COpenSSLShim", dependencies: ["COpenSSL"]),
        // The vector UTF-8 validator behind WebSocketDriver's text path (AVX2 where the
        // processor has it, chosen at run time; nothing elsewhere).
        .target(name: "CFayeUTF8"),

        // Library targets, lowest layer first. Each imports only targets below it.
        .target(name: "WebSocketExtensions", swiftSettings: strictSettings),
        .target(
            name: "WebSocketDriver",
            dependencies: ["WebSocketExtensions", "CFayeUTF8"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PermessageDeflate",
            dependencies: ["WebSocketExtensions", "CZlib"],
            swiftSettings: strictSettings
        ),
        // The sans-IO parsers of client identity behind proxies (PROXY protocol, Forwarded,
        // X-Forwarded-*, trusted address ranges), fuzzable alone.
        .target(name: "ClientAddress", swiftSettings: strictSettings),
        .target(
            name: "FayeWebSocket",
            dependencies: [
                "ClientAddress",
                "WebSocketDriver",
                "COpenSSL",
                "COpenSSLShim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The sans-IO `text/event-stream` parser (the EventSource client's), fuzzable alone.
        .target(name: "EventStream", swiftSettings: strictSettings),
        .target(
            name: "FayeEventSource",
            dependencies: [
                "EventStream",
                "FayeWebSocket",
                "WebSocketDriver",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // Host integrations: empty modules unless their trait is enabled.
        .target(
            name: "FayeVapor",
            dependencies: [
                "FayeEventSource",
                "FayeWebSocket",
                "WebSocketDriver",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"])),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FayeHummingbird",
            dependencies: [
                "FayeEventSource",
                "FayeWebSocket",
                "WebSocketDriver",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HummingbirdCore", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras", condition: .when(traits: ["Hummingbird"])),
                .product(
                    name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras", condition: .when(traits: ["Hummingbird"])),
            ],
            swiftSettings: strictSettings
        ),

        // What faye-server and the two host demos share: the command line of DESIGN §3, the
        // echo, the tick EventSource and the demo page.
        .target(
            name: "FayeDemoSupport",
            dependencies: [
                "ClientAddress",
                "FayeEventSource",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Executables (their command lines are fixed by DESIGN §3).
        .executableTarget(
            name: "faye-server",
            dependencies: [
                "FayeDemoSupport",
                "FayeEventSource",
                "FayeWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "faye-vapor-demo",
            dependencies: [
                "FayeDemoSupport",
                "FayeEventSource",
                "FayeVapor",
                "FayeWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["Vapor"])),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "faye-hummingbird-demo",
            dependencies: [
                "FayeDemoSupport",
                "FayeEventSource",
                "FayeHummingbird",
                "FayeWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
            ],
            swiftSettings: strictSettings
        ),
        // A chat whose instances share messages through PostgreSQL (Docs/Deployment.md): without
        // the PostgresFanOut trait it only says how to build it.
        .executableTarget(
            name: "faye-fanout-demo",
            dependencies: [
                "FayeDemoSupport",
                "FayeEventSource",
                "FayeWebSocket",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgresFanOut"])),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "faye-client",
            dependencies: [
                "FayeDemoSupport",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The EventSource client's command line (DESIGN §3): one JSON object per event.
        .executableTarget(
            name: "faye-eventsource",
            dependencies: [
                "FayeDemoSupport",
                "FayeEventSource",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "faye-autobahn-client",
            dependencies: [
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The benchmark (DESIGN §3). NIOWebSocket is linked here only, as the in-process reference.
        .executableTarget(
            name: "faye-bench",
            dependencies: [
                "FayeDemoSupport",
                "CZlib",
                "EventStream",
                "FayeEventSource",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            swiftSettings: strictSettings
        ),
        // Drives our client through the interoperability battery (scripts/interop.sh).
        .executableTarget(
            name: "faye-interop",
            dependencies: [
                "FayeDemoSupport",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // Soak and leak check of the embedded server (Docs/Robustness.md), run by the test script.
        .executableTarget(
            name: "faye-soak",
            dependencies: [
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // Helpers shared by the test targets (locks, timed waits, seeded generators; a loopback
        // server). Not products: only the test targets depend on them.
        .target(name: "FayeTestSupport", path: "Tests/FayeTestSupport", swiftSettings: strictSettings),
        .target(
            name: "FayeLoopbackSupport",
            dependencies: [
                "FayeTestSupport",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/FayeLoopbackSupport",
            swiftSettings: strictSettings
        ),

        // One test target per library module.
        .testTarget(
            name: "WebSocketExtensionsTests",
            dependencies: ["FayeTestSupport", "WebSocketExtensions"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ClientAddressTests",
            dependencies: ["ClientAddress"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WebSocketDriverTests",
            dependencies: ["FayeTestSupport", "WebSocketDriver"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PermessageDeflateTests",
            dependencies: ["FayeTestSupport", "PermessageDeflate", "WebSocketDriver"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeWebSocketTests",
            dependencies: [
                "FayeLoopbackSupport",
                "FayeTestSupport",
                "FayeWebSocket",
                "PermessageDeflate",
                "WebSocketDriver",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EventStreamTests",
            dependencies: ["EventStream"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeEventSourceTests",
            dependencies: [
                "FayeEventSource",
                "FayeLoopbackSupport",
                "FayeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeVaporTests",
            dependencies: [
                "FayeLoopbackSupport",
                "FayeTestSupport",
                "FayeVapor",
                "FayeWebSocket",
                "PermessageDeflate",
                .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"])),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FayeHummingbirdTests",
            dependencies: [
                "FayeLoopbackSupport",
                "FayeTestSupport",
                "FayeHummingbird",
                "FayeWebSocket",
                "PermessageDeflate",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HummingbirdTLS", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The fan-out demo's own parsing (its PostgreSQL URL, the resume point), without the
        // trait; the demo against a real PostgreSQL is scripts/deploy/fanout.py.
        .testTarget(
            name: "FanOutDemoTests",
            dependencies: ["faye-fanout-demo"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
