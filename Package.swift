// swift-tools-version: 6.1
import PackageDescription

// Every Swift target uses the Swift 6 language mode and explicit `any`.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "fnbox",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fnbox", targets: ["fnbox"]),
        .executable(name: "fnboxd", targets: ["fnboxd"]),
        .library(name: "FnboxRuntime", targets: ["FnboxRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C: everything that runs in the child between clone and execve, plus the
        // parent-only libseccomp compilation. Links libseccomp from Debian.
        .target(
            name: "CFnboxShims",
            path: "CShims",
            linkerSettings: [.linkedLibrary("seccomp"), .linkedLibrary("cap")]
        ),
        .target(
            name: "FnboxSystem",
            dependencies: [
                "CFnboxShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxCgroups",
            dependencies: [
                "FnboxSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxSandbox",
            dependencies: ["CFnboxShims", "FnboxSystem"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxRuntime",
            dependencies: [
                "FnboxSandbox",
                "FnboxCgroups",
                "FnboxSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fnbox",
            dependencies: [
                "FnboxRuntime",
                "FnboxClient",
                "FnboxAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxAPI",
            swiftSettings: swiftSettings
        ),
        // The CLI's side of fnboxd: HTTP/1.1 over the Unix socket, the Lambda calls, and a
        // bundle packed for upload (hence FnboxRuntime: manifests and zipping).
        .target(
            name: "FnboxClient",
            dependencies: ["FnboxAPI", "FnboxRuntime", "FnboxSystem"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxServer",
            dependencies: [
                "FnboxAPI",
                "FnboxRuntime",
                "FnboxSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fnboxd",
            dependencies: [
                "FnboxServer",
                "FnboxRuntime",
                "FnboxCgroups",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FnboxTestSupport",
            dependencies: ["FnboxRuntime", "FnboxCgroups", "FnboxSystem"],
            path: "Tests/FnboxTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FnboxCgroupsTests",
            dependencies: ["FnboxCgroups", "FnboxTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FnboxRuntimeTests",
            dependencies: ["FnboxRuntime", "FnboxTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FnboxServerTests",
            dependencies: [
                "FnboxServer", "FnboxAPI", "FnboxRuntime", "FnboxCgroups",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FnboxClientTests",
            dependencies: [
                "FnboxClient", "FnboxAPI", "FnboxRuntime", "FnboxSystem", "FnboxTestSupport",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FnboxIntegrationTests",
            dependencies: ["FnboxRuntime", "FnboxSandbox", "FnboxCgroups", "FnboxTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
