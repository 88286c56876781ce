// swift-tools-version:6.0
import PackageDescription

/// A system library target: a module map over one Debian `-dev` package.
func systemLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "latentty",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "latentty", targets: ["latentty"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Already in the graph through Hummingbird; named so the server's connection guard can use NIO's HTTP codec directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        systemLibrary("CNcursesw", apt: "libncurses-dev"),
        systemLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
        systemLibrary("CSixel", pkgConfig: "libsixel", apt: "libsixel-dev"),
        systemLibrary("CDNNL", apt: "libdnnl-dev"),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        systemLibrary("CSpng", pkgConfig: "spng", apt: "libspng-dev"),
        // Not "CZlib": ZIPFoundation already defines a module of that name.
        systemLibrary("CSystemZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        .target(
            name: "LatentKit",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(name: "ImageCodecs", dependencies: ["LatentKit", "CTurboJPEG", "CSpng"]),
        .target(name: "Wire", dependencies: ["LatentKit", "ImageCodecs"]),
        .target(name: "NativeVAE", dependencies: ["LatentKit", "CDNNL"]),
        .target(name: "RemoteDecode", dependencies: ["LatentKit", "Wire", "CCurl"]),
        .target(name: "DecodePipeline", dependencies: ["LatentKit", "ImageCodecs", "Wire", "NativeVAE"]),
        .target(name: "Workbench", dependencies: ["LatentKit", "ImageCodecs", "Wire", "RemoteDecode", "NativeVAE", "DecodePipeline"]),
        .target(
            name: "LatenttyServer",
            dependencies: [
                "LatentKit", "ImageCodecs", "Wire", "NativeVAE", "DecodePipeline",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
        .target(name: "TerminalGraphics", dependencies: ["ImageCodecs", "CSixel", "CSystemZlib"]),
        .target(
            name: "LatenttyTUI",
            dependencies: [
                "LatentKit", "ImageCodecs", "Workbench", "NativeVAE", "DecodePipeline", "RemoteDecode", "TerminalGraphics", "CNcursesw",
            ]
        ),
        .target(
            name: "SystemInfo",
            dependencies: ["CNcursesw", "CCurl", "CSixel", "CDNNL", "CTurboJPEG", "CSpng"]
        ),
        .executableTarget(
            name: "latentty",
            dependencies: [
                "LatentKit", "ImageCodecs", "SystemInfo", "Wire", "RemoteDecode", "NativeVAE", "Workbench", "LatenttyServer",
                "LatenttyTUI", "TerminalGraphics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A video engine whose frames come when a test lets them, for the suites that watch frames arrive,
        // and the video fixtures' axis order.
        .target(name: "VideoTestSupport", dependencies: ["LatentKit", "NativeVAE"], path: "Tests/VideoTestSupport"),
        .testTarget(
            name: "LatentKitTests",
            dependencies: ["LatentKit", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(
            name: "ImageCodecsTests", dependencies: ["ImageCodecs", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(name: "SystemInfoTests", dependencies: ["SystemInfo"]),
        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", "LatentKit", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "TerminalGraphicsTests", dependencies: ["TerminalGraphics", "ImageCodecs", "CSystemZlib"]),
        .testTarget(
            name: "LatenttyTUITests",
            dependencies: [
                "LatenttyTUI", "LatentKit", "Workbench", "RemoteDecode", "NativeVAE", "ImageCodecs", "LatenttyServer", "DecodePipeline",
                "TerminalGraphics", "VideoTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "LatentKit", "ImageCodecs", "Workbench", "TerminalGraphics", "CSystemZlib", "VideoTestSupport", "LatenttyServer",
                "NativeVAE", .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "NativeVAETests", dependencies: ["NativeVAE", "LatentKit", "ImageCodecs", "VideoTestSupport"]),
        .testTarget(
            name: "RemoteDecodeTests",
            dependencies: [
                "RemoteDecode", "Wire", "LatentKit", "Workbench", "LatenttyServer", "NativeVAE", "ImageCodecs", "DecodePipeline",
                "VideoTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ]
)

// One libFuzzer target per reader (Fuzz/Targets/<name>). A normal build links them as inert
// executables; scripts/fuzz.sh builds them with `--sanitize fuzzer --sanitize address` and runs them.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("safetensors", ["LatentKit"]), ("latent", ["LatentKit"]), ("npy", ["LatentKit"]), ("npz", ["LatentKit"]),
    ("pt", ["LatentKit", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    ("png", ["ImageCodecs"]), ("jpeg", ["ImageCodecs"]), ("request", ["Wire"]), ("response", ["Wire"]),
    ("replies", ["TerminalGraphics"]),
]
package.targets += fuzzTargets.map {
    .executableTarget(name: "latentty-fuzz-\($0.name)", dependencies: $0.dependencies, path: "Fuzz/Targets/\($0.name)")
}
