// swift-tools-version: 6.0
// libFuzzer targets over SwiftKeras's file loaders: `bash Scripts/fuzz/run.sh <target> <seconds>`.
import PackageDescription

/// One executable per loader (Targets/<Name>/, the loader's name in `FuzzTargets.all`).
let targets = ["Keras", "Weights", "Config", "Gzip", "Idx", "Tsv", "Tokenizer", "Npy", "Npz", "Csv", "Image"]

let package = Package(
    name: "SwiftKerasFuzz",
    dependencies: [.package(name: "SwiftKeras", path: "../..")],
    targets: [
        // Starts libFuzzer from a Swift main (LLVMFuzzerRunDriver).
        .target(name: "FuzzDriver"),
    ] + targets.map { name in
        .executableTarget(
            name: "Fuzz\(name)", dependencies: ["FuzzDriver", .product(name: "SwiftKeras", package: "SwiftKeras")],
            path: "Targets/\(name)")
    }
)
