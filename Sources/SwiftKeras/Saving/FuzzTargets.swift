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
        ("gzip", gzipFile),
        ("idx", idxFile),
        ("tsv", labelledText),
        ("tokenizer", tokenizerText),
        ("npy", npyFile),
        ("npz", npzArchive),
        ("csv", csvFile),
        ("image", imageFile),
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

    /// Any file through the gzip reader every bundled dataset uses (plain files pass through).
    public static func gzipFile(_ bytes: [UInt8]) {
        withFile(bytes, named: "data.gz") { _ = try? readPossiblyGzippedFile($0) }
    }

    /// An IDX file, gzip'd or not: as MNIST images and labels, and streamed record by record.
    public static func idxFile(_ bytes: [UInt8]) {
        withFile(bytes, named: "data-idx-ubyte") { path in
            _ = try? MNIST.readImages(path)
            _ = try? MNIST.readLabels(path)
            _ = try? Dataset<Tensor>(idxFile: path).forEach { _ in }
        }
    }

    /// A `<label>\t<text>` file as the IMDB and sentence-polarity loaders read it (gzip'd or not).
    public static func labelledText(_ bytes: [UInt8]) {
        withFile(bytes, named: IMDB.fileName) { path in
            let folder = String(path.dropLast(IMDB.fileName.count + 1))
            _ = try? IMDB.loadData(directory: folder, numWords: 50, maxlen: 20)
            _ = try? IMDB.getWordIndex(directory: folder)
        }
        withFile(bytes, named: SentencePolarity.fileName) { path in
            _ = try? SentencePolarity.loadData(directory: String(path.dropLast(SentencePolarity.fileName.count + 1)))
        }
    }

    /// Arbitrary bytes as text (lines) through the tokenizer: fit, to sequences and back.
    public static func tokenizerText(_ bytes: [UInt8]) {
        let texts = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let tokenizer = try? Tokenizer(numWords: 20, oovToken: "<oov>") else { return }
        tokenizer.fitOnTexts(texts)
        _ = tokenizer.sequencesToTexts(tokenizer.textsToSequences(texts))
    }

    /// A `.npy` file, loaded whole and streamed by rows.
    public static func npyFile(_ bytes: [UInt8]) {
        withFile(bytes, named: "array.npy") { path in
            _ = try? Tensor(npyFile: path)
            _ = try? Dataset<Tensor>(npyFile: path).forEach { _ in }
        }
    }

    /// A `.npz` archive (a zip of `.npy` entries).
    public static func npzArchive(_ bytes: [UInt8]) {
        withFile(bytes, named: "arrays.npz") { _ = try? loadNPZ($0) }
    }

    /// A CSV file, as features only and with its last column as labels (numbers or names).
    public static func csvFile(_ bytes: [UInt8]) {
        withFile(bytes, named: "table.csv") { path in
            _ = try? loadCSV(path)
            _ = try? loadCSV(path, header: false, fillMissing: 0)
            _ = try? loadCSV(path, labelColumn: 0, delimiter: ";")
        }
    }

    /// A PNG or JPEG file, in each color mode, and resized.
    public static func imageFile(_ bytes: [UInt8]) {
        withFile(bytes, named: "image") { path in
            for mode in [ColorMode.grayscale, .rgb, .rgba] { _ = try? loadImage(path, colorMode: mode) }
            _ = try? loadImage(path, targetSize: (5, 3))
        }
    }

    /// Runs `body` on a file holding `bytes` (the loaders read paths), in a folder of this
    /// process's, removed afterwards.
    private static func withFile(_ bytes: [UInt8], named name: String, _ body: (String) -> Void) {
        let folder = "\(NSTemporaryDirectory())/swiftkeras-fuzz-\(getpid())"
        mkdir(folder, 0o700)
        let path = folder + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        body(path)
    }
}
