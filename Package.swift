// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "SwiftKeras",
    products: [
        .library(name: "SwiftKeras", targets: ["SwiftKeras"]),
        .library(name: "SwiftKerasEngine", targets: ["SwiftKerasEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from the system: OpenBLAS (cblas + LAPACKE) and zlib.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Tensors, kernels, reverse-mode gradients.
        .target(name: "SwiftKerasEngine", dependencies: ["COpenBLAS"]),
        // Layers, models, losses, optimizers, training, data.
        .target(
            name: "SwiftKeras", dependencies: ["SwiftKerasEngine", "CZlib"],
            exclude: ["Datasets/Data"]),

        .executableTarget(
            name: "LeNet", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/LeNet"),
        .executableTarget(
            name: "MNISTCNN", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/MNISTCNN"),

        .executableTarget(
            name: "CharRNN", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/CharRNN"),

        .executableTarget(
            name: "Sentiment", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/Sentiment"),

        .executableTarget(
            name: "Benchmark", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/Benchmark"),

        .executableTarget(
            name: "Seq2Seq", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/Seq2Seq"),

        .executableTarget(
            name: "CNNLSTM", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/CNNLSTM"),

        .testTarget(name: "SwiftKerasEngineTests", dependencies: ["SwiftKerasEngine"]),
        .testTarget(
            name: "SwiftKerasTests", dependencies: ["SwiftKeras"],
            resources: [.copy("Fixtures")]),
    ]
)
