import Foundation
import Testing
@testable import SwiftKeras

/// PNG/JPEG decoding, resizing, affine transforms and class-folder datasets against
/// TensorFlow and Keras (Scripts/keras_fixtures/data.py).
@Suite struct ImageDataTests {
    static let folder = Bundle.module.resourcePath! + "/Fixtures/data"

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/\(name).json")))
    }

    static func array(_ any: Any?) throws -> Tensor {
        let object = try #require(any as? [String: Any])
        return try Tensor(try NumPyFileTests.floats(object["values"]), shape: try #require(object["shape"] as? [Int]))
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    static func imageNames() -> [String] {
        ((try? json("images")) as? [String: Any]).map { $0.keys.sorted() } ?? []
    }

    @Test(arguments: imageNames())
    func decodesAsTensorFlowDoes(_ name: String) throws {
        let facts = try #require((try Self.json("images") as? [String: Any])?[name] as? [String: [String: Any]])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/images/" + name)))
        for channels in [0, 1, 3, 4] {
            let expected = try #require(facts[String(channels)])
            if expected["error"] != nil {
                #expect(throws: KerasError.self, "\(name) with \(channels) channels") {
                    try ImageCodec.decode(bytes, path: name, channels: channels)
                }
                continue
            }
            let image = try ImageCodec.decode(bytes, path: name, channels: channels)
            let reference = try Self.array(expected)
            #expect(image.shape == reference.shape, "\(name) \(channels)")
            let differences = zip(image.scalars, reference.scalars).filter { $0 != $1 }.count
            #expect(differences == 0, "\(name) with \(channels) channels: \(differences) of \(image.count) values differ: \(image.scalars.prefix(12)) vs \(reference.scalars.prefix(12))")
        }
    }

    static func resizeNames() -> [String] {
        ((try? json("resize")) as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
    }

    @Test(arguments: resizeNames())
    func resizesAndTransformsAsKerasDoes(_ name: String) throws {
        let cases = try #require(try Self.json("resize") as? [[String: Any]])
        let c = try #require(cases.first { $0["name"] as? String == name })
        let x = try Self.array(c["input"])
        let expected = try Self.array(c["output"])
        let interpolation = try #require(Interpolation(rawValue: c["interpolation"] as? String ?? ""))
        let y: Tensor
        if c["kind"] as? String == "resize" {
            let size = try #require(c["size"] as? [Int])
            let mode = c["mode"] as? String
            y = try resizeImage(x, to: (size[0], size[1]), interpolation: interpolation, cropToAspectRatio: mode == "crop",
                                padToAspectRatio: mode == "pad", fillValue: -1)
        } else {
            let flat = try NumPyFileTests.floats(c["transforms"])
            let transforms = stride(from: 0, to: flat.count, by: 8).map { Array(flat[$0..<($0 + 8)]) }
            y = try affineTransform(x, transforms: transforms, interpolation: interpolation,
                                    fillMode: try #require(FillMode(rawValue: c["fill_mode"] as? String ?? "")), fillValue: -3)
        }
        expectClose(y, expected, tolerance: 1e-5, name)
    }

    @Test func resizeAndAffineGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randomUniform([1, 4, 5, 2], using: &rng)
        for interpolation in Interpolation.allCases {
            let check = try checkGradients(at: [x]) { try resizeImages($0[0], height: 3, width: 7, interpolation: interpolation) }
            #expect(check.maxRelativeError < 2e-2, "resize \(interpolation)")
        }
        let rotation: [Float] = [0.8, -0.6, 1.9, 0.6, 0.8, -0.7, 0, 0]
        for fill in FillMode.allCases {
            let check = try checkGradients(at: [x]) {
                try affineTransform($0[0], transforms: [rotation], interpolation: .bilinear, fillMode: fill, fillValue: 0.5)
            }
            #expect(check.maxRelativeError < 2e-2, "affine \(fill)")
        }
    }

    @Test func numPyRandomStateShufflesAsNumPy() throws {
        let shuffles = try #require(try Self.json("random_state") as? [String: [Int]])
        for (key, expected) in shuffles {
            let parts = key.split(separator: "_").map { UInt64($0)! }
            var items = Array(0..<Int(parts[1]))
            var state = NumPyRandomState(seed: UInt32(parts[0]))
            state.shuffle(&items)
            #expect(items == expected, "seed \(parts[0]), \(parts[1]) items")
        }
    }

    // MARK: Class folders

    static var root: String { folder + "/folders" }

    static func relative(_ paths: [String]?) -> [String] {
        (paths ?? []).map { String($0.dropFirst(root.count + 1)) }
    }

    @Test func imageFolderOrderLabelsAndPixelsMatchKeras() throws {
        let facts = try #require(try Self.json("folders") as? [String: [String: Any]])
        let plain = try #require(facts["images_unshuffled"])
        let dataset = try imageDatasetFromDirectory(Self.root, batchSize: 4, imageSize: (4, 5), shuffle: false, verbose: false)
        #expect(dataset.classNames == plain["class_names"] as? [String])
        #expect(Self.relative(dataset.filePaths) == plain["file_paths"] as? [String])
        let batches = try dataset.elements()
        #expect(batches.map { $0.0.shape[0] } == [4, 4, 3])
        let images = try Tensor.batch(batches.flatMap { b in (0..<b.0.shape[0]).map { b.0.row($0) } })
        #expect(batches.flatMap { $0.1.scalars } == (try NumPyFileTests.floats(plain["labels"])))
        expectClose(images, try Self.array(plain["images"]), tolerance: 1e-5, "decoded and resized images")

        let categorical = try imageDatasetFromDirectory(Self.root, labelMode: .categorical, batchSize: 4, imageSize: (4, 5),
                                                        shuffle: false, verbose: false)
        let oneHot = try Tensor.batch(try categorical.elements().flatMap { b in (0..<b.1.shape[0]).map { b.1.row($0) } })
        expectClose(oneHot, try Self.array(facts["labels_categorical"]?["labels"]), tolerance: 0, "categorical labels")
        let binary = try imageDatasetFromDirectory(Self.root, labelMode: .binary, classNames: ["c", "a_cats"], batchSize: 4,
                                                   imageSize: (4, 5), shuffle: false, verbose: false)
        #expect(Self.relative(binary.filePaths) == facts["labels_binary"]?["file_paths"] as? [String])
        let binaryLabels = try Tensor.batch(try binary.elements().flatMap { b in (0..<b.1.shape[0]).map { b.1.row($0) } })
        expectClose(binaryLabels, try Self.array(facts["labels_binary"]?["labels"]), tolerance: 0, "binary labels")

        let gray = try imageDatasetFromDirectory(Self.root, colorMode: .grayscale, batchSize: nil, imageSize: (3, 3), shuffle: false,
                                                 interpolation: .nearest, cropToAspectRatio: true, verbose: false)
        let firstThree = try Tensor.batch(try gray.take(3).elements().map(\.0))
        expectClose(firstThree, try Self.array(facts["grayscale_crop_nearest"]?["images"]), tolerance: 0, "grayscale crop nearest")
    }

    @Test func splitsWithASeedPutTheSameFilesInEachSubsetAsKeras() throws {
        let facts = try #require(try Self.json("folders") as? [String: [String: Any]])
        for seed: UInt64 in [1337, 7] {
            for split in [0.25, 0.5] {
                let expected = try #require(facts["split_\(seed)_\(split)"])
                let (training, validation) = try imageDatasetFromDirectory(
                    Self.root, imageSize: (4, 4), seed: seed, validationSplit: split, subset: .both, verbose: false)
                #expect(Self.relative(training.filePaths) == expected["training"] as? [String], "seed \(seed), split \(split)")
                #expect(Self.relative(validation.filePaths) == expected["validation"] as? [String])
                let alone = try imageDatasetFromDirectory(Self.root, imageSize: (4, 4), seed: seed, validationSplit: split,
                                                          subset: .validation, verbose: false)
                #expect(Self.relative(alone.filePaths) == expected["validation_alone"] as? [String])
                // Every file of a subset comes out once per pass, whatever the per-epoch shuffle.
                let seen = try training.elements().reduce(0) { $0 + $1.0.shape[0] }
                #expect(seen == training.filePaths?.count)
            }
        }
    }

    @Test func textFoldersMatchKeras() throws {
        let facts = try #require(try Self.json("folders") as? [String: [String: Any]])
        let plain = try #require(facts["texts_unshuffled"])
        let texts = try textDatasetFromDirectory(Self.root, batchSize: 2, maxLength: 12, shuffle: false, verbose: false)
        #expect(texts.classNames == plain["class_names"] as? [String])
        let batches = try texts.elements()
        #expect(batches.flatMap(\.0) == plain["texts"] as? [String])
        #expect(batches.flatMap { $0.1.scalars } == (plain["labels"] as? [Int])?.map(Float.init))
        let (training, validation) = try textDatasetFromDirectory(Self.root, seed: 99, validationSplit: 0.4, subset: .both, verbose: false)
        #expect(try training.elements().flatMap(\.0).count == facts["texts_split"]?["training"] as? Int)
        #expect(try validation.elements().flatMap(\.0).count == facts["texts_split"]?["validation"] as? Int)
    }

    @Test func folderArgumentErrorsAsKeras() throws {
        let root = Self.root
        #expect(Self.message { _ = try imageDatasetFromDirectory(root, validationSplit: 0.2, subset: .training, verbose: false) }
            .contains("you must provide a seed argument"))
        #expect(Self.message { _ = try imageDatasetFromDirectory(root, validationSplit: 0.2, verbose: false) }
            .contains("validation_split must be set, and inversely"))
        #expect(Self.message { _ = try imageDatasetFromDirectory(root, labelMode: .binary, verbose: false) }
            .contains("exactly 2 class names"))
        #expect(Self.message { _ = try imageDatasetFromDirectory(root, classNames: ["dogs"], verbose: false) }
            .contains("did not match the names of the subdirectories"))
        #expect(Self.message { _ = try imageDatasetFromDirectory(root + "/none", verbose: false) }.contains("directory not found"))
        #expect(Self.message { _ = try imageDatasetFromDirectory(root, labels: .list([1, 2]), verbose: false) }
            .contains("len(labels) is 2 while we found 12 files"))
    }

    // MARK: Bad files

    @Test func badImagesNameTheFile() throws {
        let dir = NSTemporaryDirectory() + "swiftkeras-img-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir + "/cls", withIntermediateDirectories: true)
        let jpeg = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/images/rgb.jpg")))
        let png = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/images/rgb.png")))
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = dir + "/cls/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let truncated = try write(Array(jpeg.prefix(jpeg.count - 40)), "truncated.jpg")
        #expect(Self.message { _ = try loadImage(truncated) }.contains("truncated.jpg: cannot decode JPEG: Premature end of JPEG file"))
        let headless = try write(Array(jpeg.prefix(jpeg.count / 3)), "headless.jpg")
        #expect(Self.message { _ = try loadImage(headless) }.contains("headless.jpg: cannot read JPEG header"))
        var badColor = png
        badColor[25] = 5  // IHDR colour type 5 does not exist
        let wrongChannels = try write(badColor, "channels.png")
        #expect(Self.message { _ = try loadImage(wrongChannels) }.contains("channels.png: cannot decode PNG"))
        let cut = try write(Array(png.prefix(60)), "cut.png")
        #expect(Self.message { _ = try loadImage(cut) }.contains("cut.png: cannot decode PNG: truncated PNG data"))
        let rgbaJPEG = try write(jpeg, "ok.jpg")
        #expect(Self.message { _ = try loadImage(rgbaJPEG, colorMode: .rgba) }.contains("ok.jpg: a JPEG image decodes to 1 (grayscale) or 3 (rgb) channels, not 4"))
        let gif = try write(Array("GIF89a....".utf8), "anim.png")
        #expect(Self.message { _ = try loadImage(gif) }.contains("anim.png: GIF and BMP images are not supported"))
        // Inside a dataset, the error names the file when the batch holding it is read.
        let dataset = try imageDatasetFromDirectory(dir, imageSize: (8, 8), shuffle: false, verbose: false)
        #expect(Self.message { _ = try dataset.elements() }.contains("/cls/"))
    }

    @Test func damagedImagesNeverTrap() throws {
        var rng = RandomGenerator(seed: 11)
        for name in ["rgb.png", "palette_trns.png", "rgb.jpg", "progressive.jpg"] {
            let good = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/images/" + name)))
            for trial in 0..<60 {
                var bytes = good
                for _ in 0...(trial % 4) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    if rng.next() % 4 == 0 { bytes.removeSubrange(at...) } else { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
                    if bytes.isEmpty { break }
                }
                _ = Self.message { _ = try ImageCodec.decode(bytes, path: name, channels: [1, 3, 4][trial % 3]) }
            }
        }
    }

    @Test func savedImagesReadBack() throws {
        let dir = NSTemporaryDirectory()
        var rng = RandomGenerator(seed: 2)
        let image = Tensor.randomUniform([5, 7, 3], low: 0, high: 255, using: &rng).mapDetached { $0.rounded() }
        try saveImage(image, to: dir + "/sk-roundtrip.png", scale: false)
        #expect(try loadImage(dir + "/sk-roundtrip.png").scalars == image.scalars)
        let gray = try Tensor((0..<64).map { Float($0 * 4) }, shape: [8, 8, 1])
        try saveImage(gray, to: dir + "/sk-roundtrip.jpg", quality: 95)
        let back = try loadImage(dir + "/sk-roundtrip.jpg", colorMode: .grayscale)
        let worst = zip(back.scalars, gray.scalars).map { Swift.abs($0 - $1 * 255 / 252) }.max() ?? 0
        #expect(back.shape == [8, 8, 1] && worst < 16, "largest JPEG error \(worst): \(back.scalars.prefix(16))")
        #expect(Self.message { try saveImage(image, to: dir + "/x.gif") }.contains("must end in .png, .jpg or .jpeg"))
    }
}
