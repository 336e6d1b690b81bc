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
        // The command-line tool (`swiftkeras run script.swift`, `new`, `summary`), and the one
        // shared library it compiles scripts against: SwiftKeras and ArgumentParser.
        .executable(name: "swiftkeras", targets: ["swiftkeras"]),
        .library(name: "SwiftKerasScripting", type: .dynamic, targets: ["SwiftKerasScripting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Zip archives (.keras models, .npz arrays) and CSV files.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // C libraries from the system: OpenBLAS (cblas + LAPACKE). zlib's module, CZlib, comes
        // with ZIPFoundation (a second module map of that name would clash with it).
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // Image codecs from the system: libpng, and libjpeg-turbo's TurboJPEG API.
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        // HDF5 (serial build): Keras's weight files.
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        // An in-memory HDF5 file driver that checks what libhdf5 would loop on (Saving/HDF5.swift).
        .target(name: "CHDF5Reader", dependencies: ["CHDF5"]),
        // libpng reports errors by longjmp, which Swift cannot catch: a small C layer does.
        .target(name: "CImageCodecs", dependencies: ["CPNG"]),

        // Open MPI, loaded at run time (dlopen) so that nothing needs it to build or run.
        .target(name: "CMPI"),
        // Hand-written C kernels (AVX-512, chosen at run time).
        .target(name: "CKernels"),
        // Tensors, kernels, reverse-mode gradients.
        .target(name: "SwiftKerasEngine", dependencies: ["COpenBLAS", "CKernels"]),
        // Layers, models, losses, optimizers, training, data.
        .target(
            name: "SwiftKeras",
            dependencies: [
                "SwiftKerasEngine", "CImageCodecs", "CTurboJPEG", "CHDF5", "CHDF5Reader", "CMPI",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            exclude: ["Datasets/Data"]),
        .executableTarget(
            name: "swiftkeras", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/swiftkeras"),
        .target(
            name: "SwiftKerasScripting", dependencies: ["SwiftKeras", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/SwiftKerasScripting"),
    ] + examples.map(example) + [
        .testTarget(name: "SwiftKerasEngineTests", dependencies: ["SwiftKerasEngine"]),
        .testTarget(
            name: "SwiftKerasTests", dependencies: ["SwiftKeras"],
            resources: [.copy("Fixtures")]),
    ]
)
