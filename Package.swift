// swift-tools-version: 6.0
import PackageDescription

/// The runnable lecture programs (and the benchmark), one folder each under Examples/.
let examples = ["LeNet", "MNISTCNN", "Sentiment", "CharRNN", "Seq2Seq", "CNNLSTM", "Benchmark"]

func example(_ name: String) -> Target {
    .executableTarget(
        name: name, dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Examples/\(name)")
}

let package = Package(
    name: "SwiftKeras",
    products: [
        .library(name: "SwiftKeras", targets: ["SwiftKeras"]),
        .library(name: "SwiftKerasEngine", targets: ["SwiftKerasEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Zip archives: the .keras model format.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries from the system: OpenBLAS (cblas + LAPACKE) and zlib.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // (ZIPFoundation ships a module named CZlib of its own, hence this name.)
        .systemLibrary(
            name: "CSystemZlib", path: "Sources/CSystemZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // HDF5 (serial build): Keras's weight files.
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),

        // Hand-written C kernels (AVX-512, chosen at run time).
        .target(name: "CKernels"),
        // Tensors, kernels, reverse-mode gradients.
        .target(name: "SwiftKerasEngine", dependencies: ["COpenBLAS", "CKernels"]),
        // Layers, models, losses, optimizers, training, data.
        .target(
            name: "SwiftKeras",
            dependencies: ["SwiftKerasEngine", "CSystemZlib", "CHDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            exclude: ["Datasets/Data"]),
    ] + examples.map(example) + [
        .testTarget(name: "SwiftKerasEngineTests", dependencies: ["SwiftKerasEngine"]),
        .testTarget(
            name: "SwiftKerasTests", dependencies: ["SwiftKeras"],
            resources: [.copy("Fixtures")]),
    ]
)
