import Foundation
import Testing
@testable import SwiftKeras

/// Preprocessing layers against Keras 3 (Scripts/keras_fixtures/data.py, preprocessing.json).
@Suite struct PreprocessingLayerTests {
    static var facts: [String: Any] { (try? ImageDataTests.json("preprocessing") as? [String: Any]) ?? [:] }

    static func textCase(_ name: String) throws -> [String: Any] {
        try #require((facts["text_vectorization"] as? [[String: Any]])?.first { $0["name"] as? String == name })
    }

    static func makeTextVectorization(_ config: [String: Any]) throws -> TextVectorization {
        func standardize(_ value: Any?) -> TextVectorization.Standardize? {
            guard let name = value as? String else { return value is NSNull ? nil : .lowerAndStripPunctuation }
            return ["lower": .lower, "strip_punctuation": .stripPunctuation][name] ?? .lowerAndStripPunctuation
        }
        let mode = TextVectorization.OutputMode(rawValue: config["output_mode"] as? String ?? "int") ?? .int
        return try TextVectorization(
            maxTokens: config["max_tokens"] as? Int, standardize: standardize(config["standardize"]),
            split: config["split"] as? String == "character" ? .character : .whitespace, ngrams: config["ngrams"] as? Int,
            outputMode: mode, outputSequenceLength: config["output_sequence_length"] as? Int,
            padToMaxTokens: config["pad_to_max_tokens"] as? Bool ?? false, vocabulary: config["vocabulary"] as? [String])
    }

    static var textCaseNames: [String] { (facts["text_vectorization"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? [] }

    @Test(arguments: textCaseNames)
    func textVectorizationMatchesKeras(_ name: String) throws {
        let c = try Self.textCase(name)
        let layer = try Self.makeTextVectorization(try #require(c["config"] as? [String: Any]))
        if (c["config"] as? [String: Any])?["vocabulary"] == nil { try layer.adapt(try #require(Self.facts["texts"] as? [String])) }
        #expect(layer.getVocabulary() == c["vocabulary"] as? [String], "\(name)")
        let output = try layer(try #require(Self.facts["queries"] as? [String]))
        expectClose(output, try ImageDataTests.array(c["output"]), tolerance: 1e-5, name)
    }

    @Test func textVectorizationAdaptsOnDatasetsAndRefusesTensors() throws {
        let texts = try #require(Self.facts["texts"] as? [String])
        let layer = try TextVectorization(outputSequenceLength: 7)
        try layer.adapt(Dataset<String>(generator: { nil }).batch(2).map { $0 })
        #expect(layer.vocabularySize() == 2)
        // A generator that restarts after each pass, as a Keras generator function would.
        var i = 0
        let dataset = Dataset<(String, Tensor)> {
            defer { i += 1 }
            if i == texts.count { i = -1; return nil }
            return (texts[i], Tensor(0))
        }.batch(4)
        try layer.adapt(dataset)
        #expect(layer.getVocabulary() == (try Self.textCase("default_int"))["vocabulary"] as? [String])
        let vectorized = dataset.map { x, y in (try layer(x), y) }
        #expect(try vectorized.elements().map(\.0.shape) == [[4, 7], [2, 7]])
        let thrown = ImageDataTests.message { _ = try layer(Tensor([1, 2])) }
        #expect(thrown.contains("TextVectorization takes strings"))
        let multiHot = try TextVectorization(outputMode: .multiHot)
        #expect(ImageDataTests.message { _ = try multiHot(["a"]) }.contains("you must set the layer's vocabulary"))
        #expect(ImageDataTests.message { _ = try TextVectorization(outputMode: .count, outputSequenceLength: 3) }
            .contains("output_sequence_length must not be set"))
        #expect(ImageDataTests.message { _ = try TextVectorization(vocabulary: ["a", "a"]) }.contains("repeated term"))
    }

    static var normalizationNames: [String] { (facts["normalization"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? [] }

    @Test(arguments: normalizationNames)
    func normalizationAdaptsAsKeras(_ name: String) throws {
        let c = try #require((Self.facts["normalization"] as? [[String: Any]])?.first { $0["name"] as? String == name })
        let axis = try #require(c["axis"] as? [Int])
        let layer = Normalization(axis: axis)
        let data = try ImageDataTests.array(c["data"])
        try layer.adapt(data)
        expectClose(try #require(layer.mean?.value), try Tensor(NumPyFileTests.floats(c["mean"]), shape: layer.mean!.shape), tolerance: 1e-5, "\(name) mean")
        expectClose(try #require(layer.variance?.value), try Tensor(NumPyFileTests.floats(c["variance"]), shape: layer.variance!.shape), tolerance: 1e-5, "\(name) variance")
        let output = try layer(try ImageDataTests.array(c["probe"]))
        expectClose(output, try ImageDataTests.array(c["output"]), tolerance: 1e-5, "\(name) output")
        let inverse = Normalization(axis: axis, mean: layer.mean!.value.scalars, variance: layer.variance!.value.scalars, invert: true)
        expectClose(try inverse(output), try Tensor(NumPyFileTests.floats(c["inverted"]), shape: output.shape), tolerance: 1e-5, "\(name) inverted")
        // Batch by batch over a dataset gives the same statistics.
        let streamed = Normalization(axis: axis)
        try streamed.adapt(try Dataset(tensorSlices: data).batch(2))
        expectClose(streamed.mean!.value, layer.mean!.value, tolerance: 1e-5, "\(name) streamed mean")
        expectClose(streamed.variance!.value, layer.variance!.value, tolerance: 1e-5, "\(name) streamed variance")
    }

    static var configNames: [String] { ((facts["configs"] as? [String: Any])?.keys.sorted()) ?? [] }

    @Test(arguments: configNames)
    func configsRoundTripAsKeras(_ name: String) throws {
        let all = try ConfigValue.parse(json: Array(Data(contentsOf: URL(fileURLWithPath: ImageDataTests.folder + "/preprocessing.json"))))
        let recorded = try #require(all.objectValue?["configs"]?.objectValue?[name])
        let layer = try deserializeLayer(recorded)
        if let shape = recorded.objectValue?["build_config"]?.objectValue?["input_shape"]?.arrayValue {
            try layer.buildIfNeeded(inputShape: shape.dropFirst().map { $0.intValue ?? -1 })
        }
        #expect(firstDifference(withoutNames(try serializeLayer(layer)), withoutNames(recorded)) == nil, "\(name)")
    }

    @Test func randomLayersActOnlyInTrainingAndFollowTheirSeed() throws {
        var rng = RandomGenerator(seed: 9)
        let images = Tensor.randomUniform([4, 6, 5, 2], using: &rng)
        let layers: [() -> Layer] = [
            { RandomFlip(.horizontal, seed: 1) }, { RandomRotation(0.2, seed: 1) }, { RandomZoom(heightFactor: 0.3, seed: 1) },
            { RandomTranslation(heightFactor: 0.2, widthFactor: 0.2, seed: 1) },
        ]
        for make in layers {
            let layer = make()
            #expect(try layer(images, training: false).scalars == images.scalars, "\(layer.className) in inference")
            let trained = try layer(images, training: true)
            #expect(trained.shape == images.shape && trained.scalars != images.scalars, "\(layer.className) in training")
            #expect(try make()(images, training: true).scalars == trained.scalars, "\(layer.className) with the same seed")
        }
        // A horizontal flip reverses each row of the images it flips, and only those.
        let flipped = try RandomFlip(.horizontal, seed: 4)(images, training: true)
        for b in 0..<4 {
            let original = images.row(b), out = flipped.row(b)
            let values = original.scalars
            var mirrored: [Float] = []
            for y in 0..<6 { for x in (0..<5).reversed() { for k in 0..<2 { mirrored.append(values[(y * 5 + x) * 2 + k]) } } }
            #expect(out.scalars == original.scalars || out.scalars == mirrored)
        }
        #expect(ImageDataTests.message { _ = try RandomRotation(1.5)(images, training: true) }.contains("in the range [-1.0, 1.0]"))
        #expect(ImageDataTests.message { _ = try RandomZoom(heightFactor: (-1, 0.2))(images, training: true) }.contains("(-1.0, 1.0]"))
    }

    @Test func preprocessingInsideAModelTrainsAndChecksGradients() throws {
        try GlobalRandom.withSeed(3) {
            var rng = RandomGenerator(seed: 1)
            let x = Tensor.randomUniform([16, 8, 8, 1], low: 0, high: 255, using: &rng)
            let y = Tensor((0..<16).map { Float($0 % 2) })
            let model = Sequential([
                Rescaling(scale: 1 / 255, inputShape: [8, 8, 1]), RandomFlip(), RandomRotation(0.05), Resizing(6, 6),
                Flatten(), Dense(2, activation: .softmax),
            ])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(), metrics: [.accuracy])
            try model.fit(x, y, batchSize: 8, epochs: 1, verbose: 0)
            #expect(try model.predict(x).shape == [16, 2])
            #expect(model.layers[3].className == "Resizing")
        }
        var rng = RandomGenerator(seed: 2)
        let input = Tensor.randomNormal([2, 5, 4, 3], using: &rng)
        let normalization = Normalization(mean: [0.5, -1, 2], variance: [4, 1, 0.25])
        let rescaling = Rescaling(scale: 0.5, offset: 1)
        let resizing = Resizing(3, 6, cropToAspectRatio: true)
        for layer in [normalization, rescaling, resizing] as [Layer] {
            let check = try checkGradients(at: [input]) { try layer($0[0]) }
            #expect(check.maxRelativeError < 2e-2, "\(layer.className)")
        }
    }
}
