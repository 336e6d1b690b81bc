import Foundation
import Glibc
import ZIPFoundation

/// Keras's files: `.keras` (a zip, stored uncompressed, of `metadata.json`, `config.json`
/// and `model.weights.h5`) and `.weights.h5` (the weights and optimizer state alone).
/// Every write goes through `AtomicFile`; every read checks what it reads and throws an
/// error naming the file and the problem.

/// The Keras version whose format these files follow (written to metadata.json).
let kerasFormatVersion = "3.15.1"

extension Model {
    /// Saves the architecture, weights and (when compiled) the compile settings with the
    /// optimizer's state to a `.keras` file that Keras 3 loads (Keras's `model.save`).
    /// The random generator's position is recorded too, so training resumed from the file
    /// draws what an uninterrupted run would.
    public func save(_ path: String) throws {
        guard path.hasSuffix(".keras") else {
            throw KerasError.invalidArgument("save: expected a path ending in .keras, received '\(path)' (use saveWeights for .weights.h5)")
        }
        buildFromDeclaredShape()
        guard isBuilt else {
            throw KerasError.notReady("save: model \"\(name)\" is not built yet; build it or call it on data first")
        }
        let archive: [UInt8]
        do {
            let config = try serializeModel(self, includeCompile: true).json()
            let date = saveDate()
            var metadata: ConfigObject = ["keras_version": .string(kerasFormatVersion), "date_saved": .string(date.text)]
            metadata["swiftkeras_random_state"] = .array(GlobalRandom.generator.state.map { .string(String($0, radix: 16)) })
            let weights = try weightsImage(label: "model.weights.h5")
            archive = try zipArchive([("metadata.json", Array(ConfigValue.object(metadata).json().utf8)),
                                      ("config.json", Array(config.utf8)), ("model.weights.h5", weights)], date: date.date)
        } catch let error as SavingError {
            throw KerasError.fileError(path: path, message: error.message)
        }
        try AtomicFile.write(archive, to: path)
    }

    /// Saves the weights (and the optimizer's state, when compiled) to a `.weights.h5` file
    /// in Keras's layout (Keras's `model.save_weights`).
    public func saveWeights(_ path: String) throws {
        guard path.hasSuffix(".weights.h5") else {
            throw KerasError.invalidArgument("saveWeights: the file name must end in .weights.h5, received '\(path)'")
        }
        buildFromDeclaredShape()
        guard isBuilt else {
            throw KerasError.notReady("saveWeights: model \"\(name)\" is not built yet; build it or call it on data first")
        }
        do {
            try AtomicFile.write(to: path) { temporaryPath in
                let file = try HDF5File.create(path: temporaryPath, label: "")
                defer { file.close() }
                try writeState(savedObjects(of: self, includeOptimizer: true), to: file)
            }
        } catch let error as SavingError {
            throw KerasError.fileError(path: path, message: error.message)
        }
    }

    /// Loads weights saved by `saveWeights` or `save` (a `.weights.h5` or `.keras` file,
    /// from SwiftKeras or Keras) into this model, which must have the same layers (Keras's
    /// `model.load_weights`). A compiled model also gets the optimizer's state when the
    /// file has it. Counts and shapes are checked before anything changes.
    public func loadWeights(_ path: String) throws {
        buildFromDeclaredShape()
        guard isBuilt else {
            throw KerasError.notReady("loadWeights: model \"\(name)\" is not built yet; build it or call it on data first")
        }
        do {
            if path.hasSuffix(".keras") {
                let archive = try KerasArchive(path: path)
                let file = try HDF5File.open(image: try archive.entry("model.weights.h5"), label: "model.weights.h5")
                defer { file.close() }
                try readState(savedObjects(of: self, includeOptimizer: compiled != nil), from: file)
            } else {
                let file = try HDF5File.open(image: try readFile(path), label: "")
                defer { file.close() }
                try readState(savedObjects(of: self, includeOptimizer: compiled != nil), from: file)
            }
        } catch let error as SavingError {
            throw KerasError.fileError(path: path, message: error.message)
        }
    }

    /// The weights file's bytes (built in memory).
    func weightsImage(label: String) throws -> [UInt8] {
        let file = try HDF5File.createInMemory(label: label)
        defer { file.close() }
        try writeState(savedObjects(of: self, includeOptimizer: true), to: file)
        return try file.image()
    }
}

/// Loads a model saved by `model.save` or by Keras 3's `model.save` (Keras's
/// `keras.models.load_model`): the architecture, the weights and, with `compile` (the
/// default) and when it was compiled, its loss, metrics and optimizer with its state.
///
/// - restoreRandomState: a file written by SwiftKeras records the random generator's
///   position; restoring it (the default) makes training resumed from the file draw the
///   shuffles and dropout masks an uninterrupted run would have. Pass false to leave the
///   generator alone.
public func loadModel(_ path: String, compile: Bool = true, restoreRandomState: Bool = true) throws -> Model {
    do {
        return try loadModel(archive: try KerasArchive(path: path), compile: compile, restoreRandomState: restoreRandomState)
    } catch let error as SavingError {
        throw KerasError.fileError(path: path, message: error.message)
    }
}

/// `loadModel` from an opened .keras archive; problems are SavingErrors for the caller to
/// attribute to the file.
func loadModel(archive: KerasArchive, compile: Bool, restoreRandomState: Bool) throws -> Model {
    do {
        let config: ConfigValue
        do { config = try ConfigValue.parse(json: try archive.entry("config.json")) } catch let error as ConfigValue.ParseError {
            throw SavingError("config.json: \(error)")
        }
        // Every weight is stored in model.weights.h5 (4 bytes a value), which bounds what
        // the config may ask to allocate.
        let weights = try archive.entry("model.weights.h5")
        let model: Model
        do {
            model = try LoadingBudget.limited(to: weights.count / 4 + 1024) { try deserializeModel(config, compile: compile) }
        } catch let error as SavingError {
            throw SavingError("config.json: \(error.message)")
        }
        guard model.isBuilt else { throw SavingError("config.json: the model has no input shape, so its weights cannot be placed") }
        let file = try HDF5File.open(image: weights, label: "model.weights.h5")
        defer { file.close() }
        try readState(savedObjects(of: model, includeOptimizer: model.compiled != nil), from: file)
        if restoreRandomState, let state = try archive.randomState() { GlobalRandom.generator = state }
        return model
    } catch let error as KerasError {
        // A layer refusing what the config asks of it (a shape that does not fit, say).
        throw SavingError("config.json: \(error)")
    }
}

// MARK: The zip archive

/// A `.keras` file's entries, read through ZIPFoundation.
struct KerasArchive {
    private let archive: Archive
    /// The file's size: no entry's stored bytes can be more.
    private let fileSize: UInt64
    /// Entries Keras's loader refuses too: larger than 4 GiB and 100 times their stored size.
    private static let bombFloor: UInt64 = 1 << 32

    /// Opens the file. ZIPFoundation reads it through the file itself: its in-memory reader
    /// traps on archives whose offsets point past the end, and leaks its buffer when an
    /// archive fails to open. (Its file reader leaks one path string per archive opened.)
    init(path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SavingError("cannot open the file: \(String(cString: strerror(errno)))") }
        var info = stat()
        var magic = [UInt8](repeating: 0, count: 4)
        let isFile = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let count = isFile ? Glibc.read(fd, &magic, 4) : -1
        Glibc.close(fd)
        guard isFile else { throw SavingError("not a regular file") }
        fileSize = UInt64(info.st_size)
        guard count == 4, magic == [0x50, 0x4B, 0x03, 0x04] || magic == [0x50, 0x4B, 0x05, 0x06] else {
            throw SavingError("not a zip archive (a .keras file is one)")
        }
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw SavingError("not a readable zip archive (truncated or corrupt: \(error))")
        }
    }

    /// An entry's bytes; throws naming the entry when it is missing or damaged.
    func entry(_ name: String) throws -> [UInt8] {
        guard let entry = archive[name], entry.type == .file else {
            throw SavingError("the archive has no \(name) (is it a Keras 3 .keras file?)")
        }
        // ZIPFoundation reads a stored entry until it has the size its header claims: past the
        // end of the file it would wait forever (and the sizes below would overflow).
        guard entry.compressedSize <= fileSize, entry.isCompressed || entry.compressedSize == entry.uncompressedSize else {
            throw SavingError("\(name) is damaged in the archive: it claims \(entry.compressedSize) stored bytes (\(entry.uncompressedSize) uncompressed) in a file of \(fileSize) bytes")
        }
        if entry.uncompressedSize > KerasArchive.bombFloor && entry.uncompressedSize > 100 * entry.compressedSize {
            throw SavingError("\(name) claims \(entry.uncompressedSize) bytes from \(entry.compressedSize): refusing a decompression bomb")
        }
        var bytes: [UInt8] = []
        // The header's size is a claim: reserve no more than the stored bytes can hold.
        bytes.reserveCapacity(Int(Swift.min(entry.uncompressedSize, entry.compressedSize * 1032 + 64, 1 << 26)))
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry) { chunk in bytes.append(contentsOf: chunk) }
        } catch {
            throw SavingError("\(name) is damaged in the archive (\(error))")
        }
        guard checksum == entry.checksum else {
            throw SavingError("\(name) is damaged in the archive (its CRC-32 checksum does not match)")
        }
        guard UInt64(bytes.count) == entry.uncompressedSize else {
            throw SavingError("\(name) is truncated in the archive: \(bytes.count) of \(entry.uncompressedSize) bytes")
        }
        return bytes
    }

    /// The random generator's position a SwiftKeras save recorded in metadata.json.
    func randomState() throws -> RandomGenerator? {
        guard archive["metadata.json"] != nil else { return nil }
        let metadata: ConfigValue
        do { metadata = try ConfigValue.parse(json: try entry("metadata.json")) } catch let error as ConfigValue.ParseError {
            throw SavingError("metadata.json: \(error)")
        }
        guard let words = metadata.objectValue?["swiftkeras_random_state"]?.arrayValue else { return nil }
        let state = words.compactMap { $0.stringValue.flatMap { UInt64($0, radix: 16) } }
        guard state.count == words.count, let generator = RandomGenerator(state: state) else {
            throw SavingError("metadata.json: swiftkeras_random_state must be four hexadecimal words, found \(ConfigValue.array(words).excerpt)")
        }
        return generator
    }
}

/// A zip of `entries`, stored (not compressed) in this order, as Keras writes them.
func zipArchive(_ entries: [(name: String, bytes: [UInt8])], date: Date) throws -> [UInt8] {
    do {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, bytes) in entries {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: date,
                                 compressionMethod: .none) { position, size in
                Data(bytes[Int(position)..<(Int(position) + size)])
            }
        }
        guard let data = archive.data else { throw SavingError("the zip archive could not be written") }
        return Array(data)
    } catch let error as SavingError {
        throw error
    } catch {
        throw SavingError("the zip archive could not be written (\(error))")
    }
}

/// When a file is saved: now, or `$SOURCE_DATE_EPOCH` (seconds since 1970) when set, for
/// reproducible files. The text is Keras's `date_saved` format, in local time.
func saveDate() -> (date: Date, text: String) {
    var seconds = time_t(Date().timeIntervalSince1970)
    if let fixed = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap({ Int($0) }) { seconds = time_t(fixed) }
    var parts = tm()
    localtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let length = strftime(&buffer, buffer.count, "%Y-%m-%d@%H:%M:%S", &parts)
    let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return (Date(timeIntervalSince1970: TimeInterval(seconds)), text)
}

/// The whole file, or a SavingError saying why not.
func readFile(_ path: String) throws -> [UInt8] {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SavingError("cannot open the file: \(String(cString: strerror(errno)))") }
    defer { Glibc.close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw SavingError("not a regular file") }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw SavingError("the file could not be read: \(n == 0 ? "it shrank while being read" : String(cString: strerror(errno)))") }
        offset += n
    }
    return bytes
}
