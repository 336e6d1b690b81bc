import Foundation

/// The loaders libFuzzer exercises (Scripts/fuzz/), each taking a file's bytes. A loader
/// may throw on any input; it must never trap, hang or leak. The debug test suite replays
/// Scripts/fuzz/corpus/<name>/ through `all`. A new loader adds its entry here, a target
/// folder and a seed corpus there.
@_spi(Fuzzing)
public enum FuzzTargets {
    /// Loader name (the corpus folder) -> the loader.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("keras", kerasArchive),
        ("weights", weightsFile),
        ("config", modelConfig),
    ]

    /// Runs the loader called `name` on `bytes`.
    public static func run(_ name: String, _ bytes: [UInt8]) {
        all.first { $0.name == name }?.run(bytes)
    }

    /// A whole .keras file: zip, config.json, model.weights.h5.
    public static func kerasArchive(_ bytes: [UInt8]) {
        // Through a file, as loadModel reads one.
        let path = "/tmp/swiftkeras-fuzz-\(getpid()).keras"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        _ = try? LayerNames.withFreshNames { try loadModel(path, restoreRandomState: false) }
    }

    /// A .weights.h5 file loaded into a model with each kind of saved object (layers with
    /// weights, a recurrent cell, a wrapper, a compiled optimizer).
    public static func weightsFile(_ bytes: [UInt8]) {
        LayerNames.withFreshNames {
            let model = weightsModel()
            guard (try? model.build(inputShape: [5])) != nil, let file = try? HDF5File.open(image: bytes, label: "fuzz") else { return }
            defer { file.close() }
            _ = try? readState(savedObjects(of: model, includeOptimizer: true), from: file)
        }
    }

    /// The model `weightsFile` loads into (its seed corpus holds its saved weights).
    public static func weightsModel() -> Model {
        let model = Sequential([Embedding(20, 4, inputLength: 5), Bidirectional(LSTM(3, returnSequences: true)),
                                TimeDistributed(Dense(2)), Flatten(), Dense(1)])
        model.compile(loss: .meanSquaredError, optimizer: Adam())
        return model
    }

    /// A model's JSON (config.json, `toJSON()`), built and compiled.
    public static func modelConfig(_ bytes: [UInt8]) {
        _ = try? LayerNames.withFreshNames {
            try LoadingBudget.limited(to: 1 << 22) { try modelFromJSON(String(decoding: bytes, as: UTF8.self)) }
        }
    }
}
