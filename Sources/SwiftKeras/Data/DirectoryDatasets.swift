import Glibc

/// How folder datasets encode labels (Keras's `label_mode`).
public enum LabelMode: String, Sendable {
    /// The class index as a scalar (sparse categorical crossentropy).
    case int
    /// A one-hot vector over the classes (categorical crossentropy).
    case categorical
    /// 0 or 1 in a vector of one, for exactly two classes (binary crossentropy).
    case binary
}

/// Where folder datasets get labels (Keras's `labels`).
public enum DirectoryLabels: Sendable, Equatable {
    /// From the class subfolders, in sorted order of their names (or of `classNames`).
    case inferred
    /// One integer label per file, in the sorted order of the file paths.
    case list([Int])
}

/// Which part of a split folder to return (Keras's `subset`).
public enum Subset: String, Sendable {
    case training, validation
}

/// The form of `subset` that returns both parts (Keras's `subset="both"`).
public enum BothSubsets: Sendable { case both }

/// Images in class subfolders as a dataset of (images, labels) batches, as Keras's
/// `image_dataset_from_directory`: `main/cat/1.png`, `main/dog/2.jpg` give class names
/// ["cat", "dog"] and labels 0 and 1.
///
/// Files ending in .png, .jpg or .jpeg (any case) are found in each class folder and its
/// subfolders; they are decoded by content with libpng and libjpeg-turbo as TensorFlow
/// decodes them, converted to `colorMode`'s channels, and resized to `imageSize`
/// (height, width) with `interpolation` (optionally cropped or padded to the aspect ratio
/// first). Values stay in 0...255. Labels follow `labelMode`.
///
/// The file order, shuffle and split are Keras's: files sorted by path, shuffled with
/// NumPy's RandomState(seed) when `shuffle`, and the last `validationSplit` fraction held
/// out, so the same seed puts the same files in each subset as Keras does. With `shuffle` the
/// returned pass order is also reshuffled every epoch through a buffer of 8 batches, as
/// Keras's `dataset.shuffle(batch_size * 8)`. Decoding runs ahead on a background thread
/// (Keras's `prefetch(AUTOTUNE)`). GIF and BMP files are reported, not decoded.
///
/// - batchSize: nil gives one (image, label) element per file.
/// - seed: needed with `validationSplit` and `shuffle`, so the subsets never overlap;
///   otherwise drawn from the global generator.
public func imageDatasetFromDirectory(
    _ directory: String, labels: DirectoryLabels = .inferred, labelMode: LabelMode = .int, classNames: [String]? = nil,
    colorMode: ColorMode = .rgb, batchSize: Int? = 32, imageSize: (Int, Int) = (256, 256), shuffle: Bool = true,
    seed: UInt64? = nil, validationSplit: Double? = nil, subset: Subset? = nil, interpolation: Interpolation = .bilinear,
    followLinks: Bool = false, cropToAspectRatio: Bool = false, padToAspectRatio: Bool = false, verbose: Bool = true
) throws -> Dataset<(Tensor, Tensor)> {
    let loader = try ImageLoader(colorMode: colorMode, imageSize: imageSize, interpolation: interpolation,
                                 cropToAspectRatio: cropToAspectRatio, padToAspectRatio: padToAspectRatio)
    let split = try FolderSplit(directory, formats: [".png", ".jpg", ".jpeg"], kind: "images", labels: labels, labelMode: labelMode,
                                classNames: classNames, batchSize: batchSize, shuffle: shuffle, seed: seed,
                                validationSplit: validationSplit, subset: subset, followLinks: followLinks, verbose: verbose)
    return split.dataset(subset, decode: loader.load)
}

/// `imageDatasetFromDirectory` with `subset: .both`: the training and the validation
/// datasets (the validation one never reshuffled), as Keras returns for `subset="both"`.
public func imageDatasetFromDirectory(
    _ directory: String, labels: DirectoryLabels = .inferred, labelMode: LabelMode = .int, classNames: [String]? = nil,
    colorMode: ColorMode = .rgb, batchSize: Int? = 32, imageSize: (Int, Int) = (256, 256), shuffle: Bool = true,
    seed: UInt64? = nil, validationSplit: Double, subset: BothSubsets, interpolation: Interpolation = .bilinear,
    followLinks: Bool = false, cropToAspectRatio: Bool = false, padToAspectRatio: Bool = false, verbose: Bool = true
) throws -> (training: Dataset<(Tensor, Tensor)>, validation: Dataset<(Tensor, Tensor)>) {
    let loader = try ImageLoader(colorMode: colorMode, imageSize: imageSize, interpolation: interpolation,
                                 cropToAspectRatio: cropToAspectRatio, padToAspectRatio: padToAspectRatio)
    let split = try FolderSplit(directory, formats: [".png", ".jpg", ".jpeg"], kind: "images", labels: labels, labelMode: labelMode,
                                classNames: classNames, batchSize: batchSize, shuffle: shuffle, seed: seed,
                                validationSplit: validationSplit, subset: nil, both: true, followLinks: followLinks, verbose: verbose)
    return (split.dataset(.training, decode: loader.load), split.dataset(.validation, decode: loader.load))
}

/// Text files in class subfolders as a dataset of (texts, labels) batches, as Keras's
/// `text_dataset_from_directory` (the IMDB layout: `train/pos/*.txt`, `train/neg/*.txt`).
/// Each `.txt` file is one sample, its UTF-8 contents (cut to the first `maxLength` bytes
/// when given, as TensorFlow's `substr` cuts). Order, shuffle, split and labels as
/// `imageDatasetFromDirectory`.
public func textDatasetFromDirectory(
    _ directory: String, labels: DirectoryLabels = .inferred, labelMode: LabelMode = .int, classNames: [String]? = nil,
    batchSize: Int? = 32, maxLength: Int? = nil, shuffle: Bool = true, seed: UInt64? = nil, validationSplit: Double? = nil,
    subset: Subset? = nil, followLinks: Bool = false, verbose: Bool = true
) throws -> Dataset<([String], Tensor)> {
    let split = try FolderSplit(directory, formats: [".txt"], kind: "text files", labels: labels, labelMode: labelMode,
                                classNames: classNames, batchSize: batchSize, shuffle: shuffle, seed: seed,
                                validationSplit: validationSplit, subset: subset, followLinks: followLinks, verbose: verbose)
    return try split.textDataset(subset, maxLength: maxLength)
}

/// `textDatasetFromDirectory` with `subset: .both`: the training and validation datasets.
public func textDatasetFromDirectory(
    _ directory: String, labels: DirectoryLabels = .inferred, labelMode: LabelMode = .int, classNames: [String]? = nil,
    batchSize: Int? = 32, maxLength: Int? = nil, shuffle: Bool = true, seed: UInt64? = nil, validationSplit: Double,
    subset: BothSubsets, followLinks: Bool = false, verbose: Bool = true
) throws -> (training: Dataset<([String], Tensor)>, validation: Dataset<([String], Tensor)>) {
    let split = try FolderSplit(directory, formats: [".txt"], kind: "text files", labels: labels, labelMode: labelMode,
                                classNames: classNames, batchSize: batchSize, shuffle: shuffle, seed: seed,
                                validationSplit: validationSplit, subset: nil, both: true, followLinks: followLinks, verbose: verbose)
    return (try split.textDataset(.training, maxLength: maxLength), try split.textDataset(.validation, maxLength: maxLength))
}

/// Decodes and resizes one image file, as Keras's `load_image` for the folder datasets.
private struct ImageLoader {
    let colorMode: ColorMode, imageSize: (Int, Int), interpolation: Interpolation
    let cropToAspectRatio: Bool, padToAspectRatio: Bool

    init(colorMode: ColorMode, imageSize: (Int, Int), interpolation: Interpolation, cropToAspectRatio: Bool, padToAspectRatio: Bool) throws {
        guard imageSize.0 > 0, imageSize.1 > 0 else {
            throw KerasError.invalidArgument("image_dataset_from_directory: image_size must be two positive integers, received (\(imageSize.0), \(imageSize.1))")
        }
        guard !(cropToAspectRatio && padToAspectRatio) else {
            throw KerasError.invalidArgument("image_dataset_from_directory: only one of cropToAspectRatio and padToAspectRatio can be true")
        }
        (self.colorMode, self.imageSize, self.interpolation) = (colorMode, imageSize, interpolation)
        (self.cropToAspectRatio, self.padToAspectRatio) = (cropToAspectRatio, padToAspectRatio)
    }

    func load(_ path: String) throws -> Tensor {
        let image = try ImageCodec.decode(readWholeFile(path), path: path, channels: colorMode.channels)
        return try resizeImage(image, to: imageSize, interpolation: interpolation, cropToAspectRatio: cropToAspectRatio,
                               padToAspectRatio: padToAspectRatio, path: path)
    }
}

/// The indexed, shuffled and split files of a class-folder dataset (Keras's `index_directory`
/// and `get_training_or_validation_split`).
struct FolderSplit {
    let classNames: [String]?
    let labelMode: LabelMode
    let batchSize: Int?
    let shuffle: Bool
    let seed: UInt64
    /// Each subset's files and integer labels (nil key: the whole folder).
    let parts: [Subset?: (paths: [String], labels: [Int])]
    let both: Bool

    init(_ directory: String, formats: [String], kind: String, labels: DirectoryLabels, labelMode: LabelMode, classNames requested: [String]?,
         batchSize: Int?, shuffle: Bool, seed requestedSeed: UInt64?, validationSplit: Double?, subset: Subset?, both: Bool = false,
         followLinks: Bool, verbose: Bool) throws {
        let caller = kind == "images" ? "image_dataset_from_directory" : "text_dataset_from_directory"
        if let batchSize, batchSize <= 0 { throw KerasError.invalidArgument("\(caller): batch_size must be positive, received \(batchSize)") }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw KerasError.invalidArgument("\(caller): validation_split must be between 0 and 1, received \(validationSplit)")
        }
        if (validationSplit != nil) != (subset != nil || both) {
            throw KerasError.invalidArgument("\(caller): if subset is set, validation_split must be set, and inversely")
        }
        if validationSplit != nil && shuffle && requestedSeed == nil {
            throw KerasError.invalidArgument(
                "\(caller): if using validation_split and shuffling the data, you must provide a seed argument, to make sure that there is no overlap between the training and validation subset")
        }
        if requested != nil, labels != .inferred {
            throw KerasError.invalidArgument("\(caller): you can only pass classNames if labels is .inferred")
        }
        var generator = GlobalRandom.makeGenerator()
        seed = requestedSeed ?? generator.next() % 1_000_000
        self.labelMode = labelMode
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.both = both

        var index = try FolderIndex(directory, formats: formats, labels: labels, classNames: requested, followLinks: followLinks)
        if labelMode == .binary, index.classNames.count != 2 {
            throw KerasError.invalidArgument("\(caller): when passing labelMode .binary, there must be exactly 2 class names. Received: classNames=\(index.classNames)")
        }
        if verbose { print("Found \(index.paths.count) files belonging to \(index.classNames.count) classes.") }
        if shuffle {
            // Keras shuffles the paths and the labels with two generators of the same seed.
            var paths = NumPyRandomState(seed: UInt32(truncatingIfNeeded: seed))
            paths.shuffle(&index.paths)
            var labels = NumPyRandomState(seed: UInt32(truncatingIfNeeded: seed))
            labels.shuffle(&index.labels)
        }
        classNames = index.classNames
        var parts: [Subset?: (paths: [String], labels: [Int])] = [:]
        if let validationSplit {
            let count = index.paths.count
            let held = Int(validationSplit * Double(count))
            // Keras's samples[:-held]: holding out none leaves no training files.
            let cut = held == 0 ? 0 : count - held
            for part in both ? [Subset.training, .validation] : [subset!] {
                let range = part == .training ? 0..<cut : cut..<count
                if verbose { print("Using \(part == .training ? cut : count - cut) files for \(part.rawValue).") }
                guard !range.isEmpty else {
                    throw KerasError.invalidData("\(caller): no \(part.rawValue) \(kind) found in directory \(directory) (\(count) files, validation_split \(validationSplit))")
                }
                parts[part] = (Array(index.paths[range]), Array(index.labels[range]))
            }
        } else {
            guard !index.paths.isEmpty else {
                throw KerasError.invalidData("\(caller): no \(kind) found in directory \(directory). Allowed formats: \(formats.joined(separator: ", "))")
            }
            parts[nil] = (index.paths, index.labels)
        }
        self.parts = parts
    }

    func label(_ value: Int) -> Tensor {
        switch labelMode {
        case .int: Tensor(Float(value))
        case .binary: Tensor([Float(value)])
        case .categorical: Tensor((0..<(classNames?.count ?? 0)).map { $0 == value ? 1 : 0 })
        }
    }

    /// (sample, label) elements of a subset: shuffled per pass through a buffer of 8 batches
    /// (not the validation part of `.both`), decoded, batched, prefetched.
    func elements<T>(_ subset: Subset?, decode: @escaping (String) throws -> T) -> Dataset<(T, Tensor)> {
        let (paths, labels) = parts[subset]!
        let access = RandomAccess(count: paths.count) { i in (paths[i], labels[i]) }
        var files = Dataset<(String, Int)>(cardinality: paths.count) { _ in access.iterator(order: nil) }
        if shuffle && !(both && subset == .validation) {
            files = files.shuffle(bufferSize: (batchSize ?? 128) * 8, seed: seed)
        }
        let labelTensor = self.label
        return files.map { path, label in (try decode(path), labelTensor(label)) }
    }

    func dataset(_ subset: Subset?, decode: @escaping (String) throws -> Tensor) -> Dataset<(Tensor, Tensor)> {
        let samples = elements(subset, decode: decode)
        let result = (batchSize.map { samples.batch($0) } ?? samples).prefetch(2)
        result.classNames = classNames
        result.filePaths = parts[subset]!.paths
        return result
    }

    func textDataset(_ subset: Subset?, maxLength: Int?) throws -> Dataset<([String], Tensor)> {
        if let maxLength, maxLength < 0 { throw KerasError.invalidArgument("text_dataset_from_directory: max_length must be >= 0, received \(maxLength)") }
        let samples = elements(subset) { path -> String in
            var bytes = try readWholeFile(path)
            if let maxLength, bytes.count > maxLength { bytes.removeSubrange(maxLength...) }
            return String(decoding: bytes, as: UTF8.self)
        }
        // Unbatched, each element is a batch of one (the element type stays ([String], Tensor)).
        let batched = batchSize.map { samples.batch($0) } ?? samples.map { ([$0.0], try Tensor.batch([$0.1])) }
        let result = batched.prefetch(2)
        result.classNames = classNames
        result.filePaths = parts[subset]!.paths
        return result
    }
}

/// The files of a folder in Keras's order: class subfolders sorted by name (or as given),
/// each walked recursively with paths sorted, files filtered by extension.
struct FolderIndex {
    var paths: [String] = []
    var labels: [Int] = []
    let classNames: [String]

    init(_ directory: String, formats: [String], labels: DirectoryLabels, classNames requested: [String]?, followLinks: Bool) throws {
        guard isDirectory(directory) else { throw KerasError.fileError(path: directory, message: "directory not found") }
        let subdirectories: [String]
        switch labels {
        case .inferred:
            let found = try listDirectory(directory).filter { !$0.hasPrefix(".") && isDirectory(directory + "/" + $0) }
            if let requested {
                guard Set(requested).isSubset(of: Set(found)) else {
                    throw KerasError.invalidArgument(
                        "The classNames passed did not match the names of the subdirectories of the target directory. Expected: \(found) (or a subset of it), but received: classNames=\(requested)")
                }
                subdirectories = requested
            } else {
                subdirectories = found
            }
        case .list:
            subdirectories = [""]
        }
        for (label, subdirectory) in subdirectories.enumerated() {
            let root = subdirectory.isEmpty ? directory : joinPath(directory, subdirectory)
            for relative in try walk(root, followLinks: followLinks, formats: formats) {
                paths.append(subdirectory.isEmpty ? joinPath(directory, relative) : joinPath(joinPath(directory, subdirectory), relative))
                self.labels.append(label)
            }
        }
        switch labels {
        case .inferred:
            classNames = subdirectories
        case let .list(given):
            guard given.count == paths.count else {
                throw KerasError.invalidArgument(
                    "Expected the lengths of labels to match the number of files in the target directory. len(labels) is \(given.count) while we found \(paths.count) files in directory \(directory).")
            }
            let sorted = Array(Set(given)).sorted()
            guard let lowest = sorted.first, lowest >= 0 else {
                throw KerasError.invalidArgument("labels must be non-negative integers, received \(sorted.first ?? 0)")
            }
            self.labels = given
            classNames = sorted.map(String.init)
        }
    }
}

/// Python's os.path.join for two parts.
private func joinPath(_ a: String, _ b: String) -> String { a.hasSuffix("/") || a.isEmpty ? a + b : a + "/" + b }

private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

private func isSymbolicLink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
}

/// Entry names of a folder, sorted as Python sorts strings (by code point).
private func listDirectory(_ path: String) throws -> [String] {
    guard let handle = opendir(path) else {
        throw KerasError.fileError(path: path, message: "cannot list the directory (\(String(cString: strerror(errno))))")
    }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted(by: pythonOrder)
}

func pythonOrder(_ a: String, _ b: String) -> Bool { a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) }

/// Files under `root` whose lowercased names end in one of `formats`, as paths relative to
/// `root` in Keras's order: folders sorted by full path, files by name (os.walk, sorted).
private func walk(_ root: String, followLinks: Bool, formats: [String]) throws -> [String] {
    var folders: [(path: String, relative: String)] = []
    var pending = [(root, "")]
    var visited = Set<String>()
    while let (path, relative) = pending.popLast() {
        folders.append((path, relative))
        for name in try listDirectory(path) {
            let child = joinPath(path, name)
            guard isDirectory(child), followLinks || !isSymbolicLink(child) else { continue }
            // A link back up the tree would loop forever.
            var info = stat()
            if stat(child, &info) == 0, !visited.insert("\(info.st_dev):\(info.st_ino)").inserted { continue }
            pending.append((child, relative.isEmpty ? name : relative + "/" + name))
        }
    }
    var files: [String] = []
    for folder in folders.sorted(by: { pythonOrder($0.path, $1.path) }) {
        for name in try listDirectory(folder.path) where !isDirectory(joinPath(folder.path, name)) {
            let lower = name.lowercased()
            if formats.contains(where: { lower.hasSuffix($0) }) {
                files.append(folder.relative.isEmpty ? name : folder.relative + "/" + name)
            }
        }
    }
    return files
}
