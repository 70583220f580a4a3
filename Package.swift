// swift-tools-version: 6.0
// skelreport: Markdown reports of neural-network kernel experiments → a static site.
//
// Arrows point one way (see README "Architecture"):
//   skelreport ─► SkelBuild ─► SkelExperiments ─► SkelKernels ─► SkelMath ─► CBLAS
//        │            │               ├──────────► SkelPlot (figure model, no Cairo)
//        │            │               └──────────► SkelDocument ─► CCmarkGFM, Yams
//        │            └─► Mustache, CCrypto (SHA-256 of cache entries)
//        └─► SkelCairo ─► SkelPlot, CCairo   (the CLI injects the Cairo backend into SkelBuild)
//   Tests: SkelTestSupport ─► SkelPlot, CLibXML2 (HTMLSafety parses built HTML/SVG)
import PackageDescription

// The numerical modules are optimized in debug builds too: the tests build the bundled reports
// (42 figures), which an unoptimized engine takes ~10× longer to compute and draw.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "skelreport",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "skelreport", targets: ["skelreport"]),
    .executable(name: "skelbench", targets: ["skelbench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
  ],
  targets: [
    // MARK: - System libraries (shims only; no Swift API)
    .systemLibrary(
      name: "CCairo", pkgConfig: "pangocairo",
      providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),
    .systemLibrary(
      name: "CCmarkGFM", pkgConfig: "libcmark-gfm",
      providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
    // The tests' HTML/SVG parser (SkelTestSupport.HTMLSafety).
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // SHA-256 of cache entries' payloads (SkelBuild).
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),

    // MARK: - Pure math and kernels (know no files)
    // The vectorized hot loop of deep ReLU-family kernels (AVX2 + libmvec, scalar fallback).
    .target(name: "CFastKernels", linkerSettings: [.linkedLibrary("mvec"), .linkedLibrary("m")]),
    .target(name: "SkelMath", dependencies: ["CBLAS"], exclude: ["README.md"], swiftSettings: optimized),
    .target(name: "SkelKernels", dependencies: ["SkelMath", "CFastKernels"], exclude: ["README.md"], swiftSettings: optimized),

    // MARK: - Figures: model (no Cairo) and the Cairo/Pango backend
    .target(name: "SkelPlot", exclude: ["README.md"], swiftSettings: optimized),
    .target(name: "SkelCairo", dependencies: ["SkelPlot", "CCairo", "CZlib"], exclude: ["README.md"], swiftSettings: optimized),

    // MARK: - Documents, experiments, the build pipeline (know no CLI)
    .target(
      name: "SkelDocument",
      dependencies: ["SkelMath", "CCmarkGFM", .product(name: "Yams", package: "Yams")],
      exclude: ["README.md"]),
    .target(
      name: "SkelExperiments",
      dependencies: ["SkelDocument", "SkelKernels", "SkelPlot"],
      exclude: ["README.md"], swiftSettings: optimized),
    // renameat2(RENAME_EXCHANGE) and syncfs for the site swap (not exported by Swift's Glibc).
    .target(name: "CSiteIO", exclude: ["README.md"]),
    .target(
      name: "SkelBuild",
      dependencies: [
        "SkelExperiments", "SkelDocument", "SkelPlot", "SkelMath", "CCrypto", "CSiteIO",
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      exclude: ["README.md"]),

    // MARK: - Executables
    .executableTarget(
      name: "skelreport",
      dependencies: [
        "SkelBuild", "SkelCairo", "SkelDocument", "SkelExperiments", "SkelMath", "SkelPlot",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "skelbench",
      dependencies: ["SkelKernels", "SkelMath", "SkelPlot", "SkelCairo", "SkelBuild", "SkelExperiments", "SkelDocument"]),

    // MARK: - Fuzzing (`make fuzz`; the driver replays inputs when built without the fuzzer)
    .target(name: "SkelFuzzing", dependencies: ["SkelDocument", "SkelExperiments", "SkelKernels"], exclude: ["README.md"]),
    .executableTarget(name: "SkelFuzz", dependencies: ["SkelFuzzing"]),

    // MARK: - Tests
    .target(name: "SkelTestSupport", dependencies: ["SkelPlot", "CLibXML2"]),
    .testTarget(name: "SkelMathTests", dependencies: ["SkelMath", "SkelTestSupport"]),
    .testTarget(name: "SkelKernelsTests", dependencies: ["SkelKernels", "SkelTestSupport"]),
    .testTarget(name: "SkelPlotTests", dependencies: ["SkelPlot", "SkelTestSupport"]),
    .testTarget(name: "SkelCairoTests", dependencies: ["SkelCairo", "SkelPlot", "SkelTestSupport"]),
    .testTarget(name: "SkelDocumentTests", dependencies: ["SkelDocument", "SkelTestSupport"]),
    .testTarget(
      name: "SkelExperimentsTests", dependencies: ["SkelExperiments", "SkelFuzzing", "SkelDocument", "SkelKernels", "SkelTestSupport"]),
    .testTarget(
      name: "SkelBuildTests",
      dependencies: [
        "SkelBuild", "SkelCairo", "SkelExperiments", "SkelDocument", "SkelTestSupport",
      ]),
    // Runs the built `skelreport` binary: exit codes, stderr text, the site left alone.
    .testTarget(
      name: "SkelReportTests", dependencies: ["skelreport", "SkelTestSupport"],
      exclude: ["Hostile"]),
  ]
)
