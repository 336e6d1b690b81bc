import ArgumentParser
import Foundation
import SwiftKeras

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a starter package that depends on SwiftKeras, with the lecture's LeNet as main.swift.",
        discussion: """
            By default the package depends on the SwiftKeras checkout this tool was built from \
            (a local path, which builds without a network). --url writes a \
            `.package(url:from:)` line instead; --path names another checkout. \
            Then: cd NAME && swift run -c release
            """)

    @Argument(help: "The package's name (also its folder and executable).") var name: String
    @Option(help: "Depend on SwiftKeras at this git URL (with --from) instead of a local checkout.") var url: String?
    @Option(help: "The lowest version for --url.") var from = swiftKerasVersion
    @Option(help: "Depend on the SwiftKeras checkout at this path.") var path: String?
    @Option(help: "The folder to create the package in.") var directory = "."

    func validate() throws {
        guard let first = name.first, first.isLetter || first == "_",
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw ValidationError("the name '\(name)' must start with a letter and hold only letters, digits, '_' and '-'")
        }
        if url != nil && path != nil { throw ValidationError("give either --url or --path, not both") }
    }

    func run() throws {
        let dependency: (line: String, package: String)
        if let url {
            let identity = url.split(separator: "/").last.map { String($0).replacingOccurrences(of: ".git", with: "") } ?? "SwiftKeras"
            dependency = (".package(url: \(swiftLiteral(url)), from: \(swiftLiteral(from)))", identity)
        } else {
            let checkout: String
            if let path {
                checkout = URL(fileURLWithPath: path).standardizedFileURL.path
            } else if let source = LibrarySource.locate() {
                checkout = source.root.path
            } else {
                throw ToolError("cannot find a SwiftKeras checkout: pass --path DIR or --url URL")
            }
            guard FileManager.default.fileExists(atPath: checkout + "/Package.swift") else {
                throw ToolError("\(checkout): not a Swift package (no Package.swift)")
            }
            dependency = (".package(path: \(swiftLiteral(checkout)))", URL(fileURLWithPath: checkout).lastPathComponent)
        }

        let packageDirectory = URL(fileURLWithPath: directory).appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: packageDirectory.path) else {
            throw ToolError("\(packageDirectory.path) already exists")
        }
        let sources = packageDirectory.appendingPathComponent("Sources/\(name)")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try AtomicFile.write(manifest(dependency: dependency), to: packageDirectory.appendingPathComponent("Package.swift").path)
        try AtomicFile.write(lenetMain, to: sources.appendingPathComponent("main.swift").path)
        try AtomicFile.write(".build/\n.swiftpm/\nPackage.resolved\n", to: packageDirectory.appendingPathComponent(".gitignore").path)
        print("""
            Created \(packageDirectory.path): Package.swift and Sources/\(name)/main.swift (LeNet on MNIST).
            Build and run it in release mode (debug builds are many times slower):
              cd \(packageDirectory.path) && swift run -c release
            """)
    }

    private func manifest(dependency: (line: String, package: String)) -> String {
        """
        // swift-tools-version: 6.0
        import PackageDescription

        let package = Package(
            name: \(swiftLiteral(name)),
            dependencies: [
                \(dependency.line),
            ],
            targets: [
                .executableTarget(
                    name: \(swiftLiteral(name)),
                    dependencies: [.product(name: "SwiftKeras", package: \(swiftLiteral(dependency.package)))]),
            ]
        )

        """
    }
}

/// A Swift string literal for `text`.
func swiftLiteral(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// The lecture's LeNet, as the README shows it side by side with Keras.
let lenetMain = """
    // The lecture's LeNet on MNIST, line for line with the Keras script.
    import SwiftKeras

    var ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
    xTrain = xTrain / 255.0
    xTest = xTest / 255.0

    let modelLeNet = Sequential()
    modelLeNet.add(Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu, inputShape: [28, 28, 1]))
    modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
    modelLeNet.add(Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu))
    modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
    modelLeNet.add(Flatten())
    modelLeNet.add(Dense(256, activation: .relu))
    modelLeNet.add(Dense(84, activation: .relu))
    modelLeNet.add(Dense(10, activation: .softmax))
    modelLeNet.summary()

    modelLeNet.compile(loss: "sparse_categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])
    try modelLeNet.fit(xTrain, yTrain, batchSize: 128, epochs: 5, validationData: (xTest, yTest))
    let score = try modelLeNet.evaluate(xTest, yTest, verbose: 0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])

    """
