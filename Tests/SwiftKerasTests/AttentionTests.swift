import Foundation
import Testing
@testable import SwiftKeras

/// MultiHeadAttention, Attention and AdditiveAttention against Keras 3 (attention.json,
/// written by Scripts/keras_fixtures/attention.py): outputs and attention scores (1e-5),
/// gradients with respect to the inputs and the weights (1e-4), with the inputs' masks, an
/// attention mask and the causal mask; configs; models with masks in a graph and the
/// Transformer text-classification tutorial's model (summary counts, .keras files both ways).
@Suite struct AttentionTests {
    nonisolated(unsafe) static let fixtures: [String: Any] = (try? Fixtures.loadObject("attention")) ?? [:]
    static var layerCases: [[String: Any]] { fixtures["layers"] as? [[String: Any]] ?? [] }
    static var modelCases: [[String: Any]] { fixtures["models"] as? [[String: Any]] ?? [] }
    static func layerCase(_ name: String) throws -> [String: Any] { try #require(layerCases.first { $0["name"] as? String == name }) }
    static func modelCase(_ name: String) throws -> [String: Any] { try #require(modelCases.first { $0["name"] as? String == name }) }
    static let folder: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    @Test func fixturesArePresent() {
        #expect(Self.layerCases.count >= 21)
        #expect(Self.modelCases.count >= 5)
        #expect((Self.fixtures["configs"] as? [Any])?.count ?? 0 >= 21)
    }

    // MARK: Layers

    @Test(arguments: layerCases.compactMap { $0["name"] as? String })
    func layer(_ name: String) throws {
        let fixture = try Self.layerCase(name)
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        let attention = try #require(layer as? any AttentionLayer)
        let inputs = try tensors(fixture["inputs"]).map { $0.trackingGradients() }
        let masks = try (fixture["masks"] as? [String: Any] ?? [:]).mapValues { try tensor($0) }
        let call = fixture["call"] as? [String: Any] ?? [:]
        let causal = call["use_causal_mask"] as? Bool ?? false
        try attention.buildIfNeeded(queryShape: Array(inputs[0].shape.dropFirst()), valueShape: Array(inputs[1].shape.dropFirst()),
                                    keyShape: inputs.count > 2 ? Array(inputs[2].shape.dropFirst()) : nil)
        #expect(layer.weights.map { $0.name.split(separator: "/").dropFirst().joined(separator: "/") }
                == (fixture["weight_names"] as? [String] ?? []).map { $0.split(separator: "/").dropFirst().joined(separator: "/") },
                "\(name) weight names")
        try layer.setWeights(try tensors(fixture["weights"]))

        let key = inputs.count > 2 ? inputs[2] : nil
        // Asking for the scores is part of the case: Keras's MultiHeadAttention computes
        // differently with them (fully masked rows get zero weights).
        let returnScores = call["return_attention_scores"] as? Bool ?? false
        let (output, scores): (Tensor, Tensor)
        if let mha = layer as? MultiHeadAttention {
            let attentionMask = try fixture["attention_mask"].map { try tensor($0) }
            if returnScores {
                (output, scores) = try mha.callReturningAttentionScores(
                    inputs[0], inputs[1], key: key, attentionMask: attentionMask,
                    queryMask: masks["query"], valueMask: masks["value"], keyMask: masks["key"], useCausalMask: causal)
            } else {
                output = try mha(inputs[0], inputs[1], key: key, attentionMask: attentionMask,
                                 queryMask: masks["query"], valueMask: masks["value"], keyMask: masks["key"], useCausalMask: causal)
                scores = Tensor.zeros([output.shape[0]] + (try attention.attentionShapes(
                    queryShape: Array(inputs[0].shape.dropFirst()), valueShape: Array(inputs[1].shape.dropFirst()),
                    keyShape: key.map { Array($0.shape.dropFirst()) }).scores))
            }
        } else {
            let attentionLayer = try #require(layer as? Attention)
            let maskList: [Tensor?]? = masks.isEmpty ? nil : [masks["query"], masks["value"]]
            (output, scores) = try attentionLayer.callReturningAttentionScores(inputs, mask: maskList, useCausalMask: causal)
        }
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
        let shapes = try attention.attentionShapes(queryShape: Array(inputs[0].shape.dropFirst()), valueShape: Array(inputs[1].shape.dropFirst()),
                                                   keyShape: key.map { Array($0.shape.dropFirst()) })
        #expect(shapes.output == Array(output.shape.dropFirst()), "\(name) output shape")
        #expect(shapes.scores == Array(scores.shape.dropFirst()), "\(name) scores shape")
        var objective = try (output * tensor(fixture["upstream"])).sum()
        if let expectedScores = fixture["scores"] {
            expectClose(scores, try tensor(expectedScores), tolerance: 1e-5, "\(name) scores")
            objective = try objective + (scores * tensor(fixture["scores_upstream"])).sum()
        }
        for (i, (actual, expected)) in zip(try gradients(of: objective, wrt: inputs), try tensors(fixture["grad_inputs"])).enumerated() {
            expectClose(actual, expected, tolerance: 1e-4, "\(name) input \(i) gradient")
        }
        for (variable, expected) in zip(layer.trainableWeights, try tensors(fixture["grad_weights"])) {
            expectClose(try gradients(of: objective, wrt: [variable])[0], expected, tolerance: 1e-4, "\(name) \(variable.name) gradient")
        }
    }

    /// Each layer's Keras config rebuilds through the registry and serializes back key for key.
    @Test(arguments: ((fixtures["configs"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
    func kerasConfigRoundTrips(_ name: String) throws {
        let entry = try #require((Self.fixtures["configs"] as? [[String: Any]])?.first { $0["name"] as? String == name })
        let recorded = try ConfigValue.parse(json: try #require(entry["serialized"] as? String))
        let layer = try deserializeLayer(recorded)
        let attention = try #require(layer as? any AttentionLayer)
        let build = try #require(recorded.objectValue?["build_config"]?.objectValue)
        func perSample(_ value: ConfigValue?) -> [Int]? { value?.arrayValue.map { $0.dropFirst().map { $0.intValue ?? -1 } } }
        if let shapes = build["shapes_dict"]?.objectValue {
            try attention.buildIfNeeded(queryShape: try #require(perSample(shapes["query_shape"])),
                                        valueShape: try #require(perSample(shapes["value_shape"])), keyShape: perSample(shapes["key_shape"]))
        } else {
            let shapes = try #require(build["input_shape"]?.arrayValue).map { perSample($0)! }
            try attention.buildIfNeeded(queryShape: shapes[0], valueShape: shapes[1], keyShape: shapes.count > 2 ? shapes[2] : nil)
        }
        // Keras built these layers in an eager call: its build_config has the batch size
        // where a graph (and SwiftKeras) has None.
        func withoutBatch(_ value: ConfigValue) -> ConfigValue {
            guard var object = value.objectValue, let build = object["build_config"] else { return value }
            func strip(_ v: ConfigValue) -> ConfigValue {
                switch v {
                case .object(let o): return .object(ConfigObject(o.entries.map { ($0.key, strip($0.value)) }))
                case .array(let items) where items.first?.arrayValue != nil: return .array(items.map(strip))
                case .array(let items): return .array([.null] + items.dropFirst())
                default: return v
                }
            }
            object["build_config"] = strip(build)
            return .object(object)
        }
        let difference = firstDifference(try serializeLayer(layer), withoutBatch(recorded))
        #expect(difference == nil, "\(name): \(difference ?? "")")
    }

    // MARK: Gradients against finite differences

    @Test func multiHeadAttentionGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 7)
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2)
        let query = Tensor.randomNormal([2, 4, 3], using: &rng), value = Tensor.randomNormal([2, 5, 3], using: &rng)
        let valueMask = try Tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 0], shape: [2, 5])
        try mha.buildIfNeeded(queryShape: [4, 3], valueShape: [5, 3], keyShape: nil)
        let result = try checkGradients(at: [query, value]) {
            try mha($0[0], $0[1], valueMask: valueMask, useCausalMask: true)
        }
        #expect(result.maxRelativeError < 2e-2, "\(result)")
    }

    /// The weight gradients of a masked, causal MultiHeadAttention against central differences
    /// (in Double, from the Float loss), on every weight.
    @Test func multiHeadAttentionWeightGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 9)
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 2, valueDim: 3, outputShape: [2])
        let query = Tensor.randomNormal([2, 3, 4], using: &rng), value = Tensor.randomNormal([2, 4, 3], using: &rng)
        let queryMask = try Tensor([1, 1, 0, 1, 1, 1], shape: [2, 3]), valueMask = try Tensor([1, 1, 1, 0, 1, 1, 1, 1], shape: [2, 4])
        try mha.buildIfNeeded(queryShape: [3, 4], valueShape: [4, 3], keyShape: nil)
        let upstream = Tensor.randomNormal([2, 3, 2], using: &rng), scoresUpstream = Tensor.randomNormal([2, 2, 3, 4], using: &rng)
        func loss() throws -> Tensor {
            let (output, scores) = try mha.callReturningAttentionScores(query, value, queryMask: queryMask, valueMask: valueMask,
                                                                        useCausalMask: true)
            return try (output * upstream).sum() + (scores * scoresUpstream).sum()
        }
        let analytic = try gradients(of: try loss(), wrt: mha.weights)
        for (variable, gradient) in zip(mha.weights, analytic) {
            let original = withoutGradients { variable.value }
            var worst: Float = 0
            for i in 0..<original.count {
                func perturbed(_ delta: Float) throws -> Float {
                    var value = original
                    value.withMutableData { $0[i] += delta }
                    try variable.assign(value)
                    return try withoutGradients { try loss().item }
                }
                let h: Float = 1e-2
                let numeric = (try perturbed(h) - perturbed(-h)) / (2 * h)
                try variable.assign(original)
                worst = Swift.max(worst, Swift.abs(numeric - gradient.scalars[i]) / Swift.max(1, Swift.abs(numeric)))
            }
            #expect(worst < 2e-2, "\(variable.name): \(worst)")
        }
    }

    /// Dropout on the attention weights: only in training, drawn from the global generator;
    /// the returned scores are the weights before dropout, as in Keras.
    @Test func dropoutAppliesInTrainingOnly() throws {
        var rng = RandomGenerator(seed: 10)
        let x = Tensor.randomNormal([2, 5, 4], using: &rng)
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 3, dropout: 0.5)
        let plain = MultiHeadAttention(numHeads: 2, keyDim: 3)
        try mha.buildIfNeeded(queryShape: [5, 4], valueShape: [5, 4], keyShape: nil)
        try plain.buildIfNeeded(queryShape: [5, 4], valueShape: [5, 4], keyShape: nil)
        try plain.setWeights(mha.getWeights())
        let (inference, scores) = try mha.callReturningAttentionScores(x, x)
        expectClose(inference, try plain(x, x), tolerance: 0, "inference")
        let (trained, trainedScores) = try GlobalRandom.withSeed(1) { try mha.callReturningAttentionScores(x, x, training: true) }
        #expect(zip(trained.scalars, inference.scalars).contains { Swift.abs($0 - $1) > 1e-4 })
        expectClose(trainedScores, scores, tolerance: 1e-6, "scores before dropout")
        let again = try GlobalRandom.withSeed(1) { try mha(x, x, training: true) }
        expectClose(again, trained, tolerance: 0, "same seed")
        let attention = Attention(dropout: 0.5)
        let a = try attention([x, x]), b = try GlobalRandom.withSeed(2) { try attention([x, x], training: true) }
        #expect(zip(a.scalars, b.scalars).contains { Swift.abs($0 - $1) > 1e-4 })
    }

    @Test func attentionGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 8)
        let query = Tensor.randomNormal([2, 3, 4], using: &rng), value = Tensor.randomNormal([2, 4, 4], using: &rng)
        let mask = try Tensor([1, 1, 0, 1, 1, 1, 1, 0], shape: [2, 4])
        for layer in [Attention(useScale: true), Attention(scoreMode: "concat"), AdditiveAttention()] as [Attention] {
            try layer.buildIfNeeded(queryShape: [3, 4], valueShape: [4, 4], keyShape: nil)
            let result = try checkGradients(at: [query, value]) { try layer([$0[0], $0[1]], mask: [nil, mask]) }
            #expect(result.maxRelativeError < 2e-2, "\(layer.name): \(result)")
        }
    }

    // MARK: Models

    /// .keras files Keras wrote (masks from an Embedding through MHA, causal MHA with scores,
    /// Attention, AdditiveAttention; a small Transformer): they load and predict Keras's
    /// predictions, and survive a SwiftKeras save and load with the same predictions.
    @Test(arguments: ["masked_attention", "keyword_attention", "transformer_small"])
    func kerasFileLoadsAndRoundTrips(_ name: String) throws {
        let fixture = try Self.modelCase(name)
        let model = try loadModel(Self.folder.appendingPathComponent(try #require(fixture["file"] as? String)).path,
                                  restoreRandomState: false)
        let inputs = try tensors(fixture["inputs"])
        let expected = try tensors(fixture["predictions"])
        let predicted = try model.predict(inputs)
        #expect(predicted.count == expected.count)
        for (actual, wanted) in zip(predicted, expected) { expectClose(actual, wanted, tolerance: 1e-5, "\(name) predictions") }
        #expect(model.countParams() == fixture["total_params"] as? Int)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attention-\(name)-\(UUID().uuidString).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        let reloaded = try loadModel(path, restoreRandomState: false)
        for (actual, wanted) in zip(try reloaded.predict(inputs), expected) { expectClose(actual, wanted, tolerance: 1e-5, "\(name) reloaded") }
        #expect(try reloaded.toJSON() == model.toJSON())
    }

    /// Sequences of any length (None steps): the graph builds, and runs on two lengths.
    @Test func unknownSequenceLengths() throws {
        let x = Input(shape: [nil, 8]), context = Input(shape: [nil, 8])
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 4)
        let (y, scores) = try mha.callReturningAttentionScores(x, context, useCausalMask: false)
        #expect(y.shape == [-1, 8] && scores.shape == [2, -1, -1])
        let model = try Model(inputs: [x, context], outputs: [try Attention()([y, x]), scores])
        var rng = RandomGenerator(seed: 11)
        for (t, s) in [(3, 5), (6, 2)] {
            let outputs = try model.predict([Tensor.randomNormal([2, t, 8], using: &rng), Tensor.randomNormal([2, s, 8], using: &rng)])
            #expect(outputs[0].shape == [2, t, 8] && outputs[1].shape == [2, 2, t, s])
        }
    }

    @Test func smallTransformerSummaryIsKeras() throws {
        let fixture = try Self.modelCase("transformer_small")
        let model = try loadModel(Self.folder.appendingPathComponent(try #require(fixture["file"] as? String)).path,
                                  restoreRandomState: false)
        expectSameLines(model.summaryText(lineLength: 108), try #require(fixture["summary"] as? String), "small transformer")
    }

    /// The tutorial's model written with built-in layers, built in Swift: Keras's summary.
    @Test func transformerTutorialModelBuildsWithKerasCounts() throws {
        let fixture = try Self.modelCase("transformer_tutorial_flat")
        let model = try LayerNames.withFreshNames { try flatTransformer(vocabularySize: 20000, length: 200, embedDim: 32, heads: 2, feedForward: 32) }
        #expect(model.countParams() == fixture["total_params"] as? Int)
        expectSameLines(model.summaryText(lineLength: 108), try #require(fixture["summary"] as? String), "tutorial model")
    }

    func expectSameLines(_ actual: String, _ expected: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (a, e) = (actual.split(separator: "\n", omittingEmptySubsequences: false), expected.split(separator: "\n", omittingEmptySubsequences: false))
        let first = (0..<Swift.min(a.count, e.count)).first { a[$0] != e[$0] } ?? (a.count == e.count ? nil : Swift.min(a.count, e.count))
        #expect(first == nil, "\(what) summary line \(first ?? 0): \(first.map { $0 < a.count ? String(a[$0]) : "" } ?? "") vs \(first.map { $0 < e.count ? String(e[$0]) : "" } ?? "")",
                sourceLocation: sourceLocation)
    }

    /// The tutorial's model as it is written there, with TransformerBlock and
    /// TokenAndPositionEmbedding as layers of one's own: Keras's parameter counts, and it trains.
    @Test func transformerTutorialWithCustomLayers() throws {
        let fixture = try Self.modelCase("transformer_tutorial")
        let (model, embedding, block) = try tutorialModel(vocabularySize: 20000, length: 200)
        #expect(model.countParams() == fixture["total_params"] as? Int)
        #expect(model.trainableWeights.map { $0.shape.reduce(1, *) }.reduce(0, +) == fixture["trainable_params"] as? Int)
        let layerParams = try #require(fixture["layer_params"] as? [String: Int])
        #expect(embedding.countParams() == layerParams["token_and_position_embedding"])
        #expect(block.countParams() == layerParams["transformer_block"])

        // The same model, smaller, learns a toy task in a few steps (tokens 1 mark class 1).
        let (small, _, _) = try tutorialModel(vocabularySize: 30, length: 12)
        var rng = RandomGenerator(seed: 3)
        let labels = Tensor.randomUniform([16], low: 0, high: 2, using: &rng).mapDetached { $0.rounded(.down) }
        var tokens = Tensor.randomUniform([16, 12], low: 2, high: 30, using: &rng).mapDetached { $0.rounded(.down) }
        tokens.withMutableData { p in for i in 0..<16 where labels.scalars[i] == 1 { for t in 0..<4 { p[i * 12 + t] = 1 } } }
        small.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 1e-2))
        let first = try small.trainOnBatch([tokens], [labels])[0]
        var last = first
        for _ in 0..<10 { last = try small.trainOnBatch([tokens], [labels])[0] }
        #expect(last < first, "loss \(first) -> \(last)")
    }

    func tutorialModel(vocabularySize: Int, length: Int) throws -> (Model, TokenAndPositionEmbedding, TransformerBlock) {
        let inputs = Input(shape: [length])
        let embedding = TokenAndPositionEmbedding(maxLength: length, vocabularySize: vocabularySize, embedDim: 32)
        let block = TransformerBlock(embedDim: 32, heads: 2, feedForward: 32)
        var x = try block(try embedding(inputs))
        x = try Dropout(0.1)(try GlobalAveragePooling1D()(x))
        x = try Dropout(0.1)(try Dense(20, activation: .relu)(x))
        return (try Model(inputs: inputs, outputs: try Dense(2, activation: .softmax)(x)), embedding, block)
    }

    // MARK: Bad input

    @Test func badArgumentsNameTheLayerAndTheArgument() throws {
        let x = Tensor.zeros([1, 3, 4])
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        let cases: [(Layer, String)] = [
            (MultiHeadAttention(numHeads: 0, keyDim: 2, name: "bad_heads"), "num_heads"),
            (MultiHeadAttention(numHeads: 2, keyDim: 0, name: "bad_key_dim"), "key_dim"),
            (MultiHeadAttention(numHeads: 2, keyDim: 2, dropout: 1.5, name: "bad_dropout"), "dropout"),
            (MultiHeadAttention(numHeads: 2, keyDim: 2, outputShape: [0], name: "bad_output_shape"), "output_shape"),
            (MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [5], name: "bad_axes"), "attention_axes"),
        ]
        for (layer, argument) in cases {
            let text = message { _ = try (layer as! MultiHeadAttention)(x, x) }
            #expect(text.contains(layer.name) && text.contains(argument), "\(text)")
        }
        let attention = Attention(scoreMode: "general", name: "bad_mode")
        let text = message { _ = try attention([x, x]) }
        #expect(text.contains("bad_mode") && text.contains("score_mode"), "\(text)")

        let mha = MultiHeadAttention(numHeads: 2, keyDim: 2, name: "shapes")
        #expect(message { _ = try mha(x, Tensor.zeros([1, 3, 2, 4])) }.contains("shapes"))
        #expect(message { _ = try mha(x, Tensor.zeros([2, 3, 4])) }.contains("batch size"))
        #expect(message { _ = try mha(x, x, key: Tensor.zeros([1, 5, 4])) }.contains("value and key"))
        #expect(message { _ = try mha(x, x, valueMask: Tensor.ones([1, 4])) }.contains("value mask"))
        #expect(message { _ = try mha(x, x, attentionMask: Tensor.ones([1, 2, 2])) }.contains("attention mask"))
        #expect(message { _ = try mha(x) }.contains("shapes"))
        #expect(message { _ = try Attention(name: "one_input")([x]) }.contains("one_input"))
        let input = Input(shape: [3, 4])
        #expect(message { _ = try MultiHeadAttention(numHeads: 1, keyDim: 2, name: "single")(input) }.contains("single"))
        #expect(message { _ = try Sequential([MultiHeadAttention(numHeads: 1, keyDim: 2, name: "in_sequential")]).predict(x) }
            .contains("in_sequential"))
    }
}

/// The tutorial's model with built-in layers only; positions are a second input.
func flatTransformer(vocabularySize: Int, length: Int, embedDim: Int, heads: Int, feedForward: Int) throws -> Model {
    let tokens = Input(shape: [length], name: "tokens")
    let positions = Input(shape: [length], name: "positions")
    let x = try Add()([try Embedding(vocabularySize, embedDim)(tokens), try Embedding(length, embedDim)(positions)])
    let attention = try MultiHeadAttention(numHeads: heads, keyDim: embedDim)(x, x)
    let out1 = try LayerNormalization(epsilon: 1e-6)(try Add()([x, try Dropout(0.1)(attention)]))
    let ffn = try Dense(embedDim)(try Dense(feedForward, activation: .relu)(out1))
    var y = try LayerNormalization(epsilon: 1e-6)(try Add()([out1, try Dropout(0.1)(ffn)]))
    y = try Dropout(0.1)(try GlobalAveragePooling1D()(y))
    y = try Dropout(0.1)(try Dense(20, activation: .relu)(y))
    return try Model(inputs: [tokens, positions], outputs: try Dense(2, activation: .softmax)(y))
}

/// The tutorial's TokenAndPositionEmbedding: token embeddings plus position embeddings.
final class TokenAndPositionEmbedding: Layer {
    let tokenEmbedding: Embedding
    let positionEmbedding: Embedding
    let maxLength: Int

    init(maxLength: Int, vocabularySize: Int, embedDim: Int) {
        self.maxLength = maxLength
        tokenEmbedding = Embedding(vocabularySize, embedDim)
        positionEmbedding = Embedding(maxLength, embedDim)
        super.init(name: nil)
    }

    override var weights: [Variable] { tokenEmbedding.weights + positionEmbedding.weights }
    override var sublayers: [Layer] { [tokenEmbedding, positionEmbedding] }

    override func build(inputShape: [Int]) throws {
        try tokenEmbedding.buildIfNeeded(inputShape: inputShape)
        try positionEmbedding.buildIfNeeded(inputShape: [inputShape[0]])
    }

    override func outputShape(for inputShape: [Int]) throws -> [Int] { try tokenEmbedding.outputShape(for: inputShape) }

    override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let steps = input.shape[1]
        let positions = try Tensor((0..<steps).map(Float.init), shape: [1, steps])
        return try tokenEmbedding(input) + positionEmbedding(positions)
    }
}

/// The tutorial's TransformerBlock: self-attention and a feed-forward network, each with
/// dropout, a residual connection and layer normalization.
final class TransformerBlock: Layer {
    let attention: MultiHeadAttention
    let feedForward: [Dense]
    let norms: [LayerNormalization]
    let dropouts: [Dropout]

    init(embedDim: Int, heads: Int, feedForward units: Int, rate: Float = 0.1) {
        attention = MultiHeadAttention(numHeads: heads, keyDim: embedDim)
        feedForward = [Dense(units, activation: .relu), Dense(embedDim)]
        norms = [LayerNormalization(epsilon: 1e-6), LayerNormalization(epsilon: 1e-6)]
        dropouts = [Dropout(rate), Dropout(rate)]
        super.init(name: nil)
    }

    override var sublayers: [Layer] { [attention] + feedForward + norms + dropouts }
    override var weights: [Variable] { sublayers.flatMap(\.weights) }

    override func build(inputShape: [Int]) throws {
        try attention.buildIfNeeded(queryShape: inputShape, valueShape: inputShape, keyShape: nil)
        try feedForward[0].buildIfNeeded(inputShape: inputShape)
        try feedForward[1].buildIfNeeded(inputShape: try feedForward[0].outputShape(for: inputShape))
        for norm in norms { try norm.buildIfNeeded(inputShape: inputShape) }
    }

    override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let attended = try dropouts[0](try attention(input, input, training: training), training: training)
        let out1 = try norms[0](try input + attended)
        let ffn = try dropouts[1](try feedForward[1](try feedForward[0](out1)), training: training)
        return try norms[1](try out1 + ffn)
    }
}
