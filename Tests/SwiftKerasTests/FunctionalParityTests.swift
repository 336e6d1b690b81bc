import Testing
@testable import SwiftKeras

/// Functional models, merge layers and multi-output training against Keras 3.
@Suite struct FunctionalParityTests {
    static func fixtures() throws -> [String: Any] { try Fixtures.loadObject("functional") }

    /// The models of the fixtures, built the same way (fresh layer names each time).
    static func build(_ which: String) throws -> Model {
        switch which {
        case "functional_lenet": return try FunctionalTests.functionalLeNet()
        case "two_inputs_concat":
            let a = Input(shape: [8]), b = Input(shape: [4])
            let joined = try Concatenate()([try Dense(16, activation: .relu)(a), try Dense(16, activation: .relu)(b)])
            return try Model(inputs: [a, b], outputs: [try Dense(1, activation: .sigmoid)(joined)])
        case "shared_layer":
            let a = Input(shape: [5]), b = Input(shape: [5])
            let shared = Dense(3)
            return try Model(inputs: [a, b], outputs: [try Add()([try shared(a), try shared(b)])])
        case "two_outputs":
            let i = Input(shape: [6])
            let h = try Dense(8, activation: .relu)(i)
            return try Model(inputs: [i], outputs: [try Dense(3, activation: .softmax, name: "class_out")(h),
                                                   try Dense(1, name: "value_out")(h)])
        case "nested_model":
            let innerInput = Input(shape: [4])
            let inner = Sequential([Dense(3, activation: .relu, inputShape: [4]), Dense(2)], name: "sequential")
            _ = innerInput  // Keras's inner Sequential starts from its own Input (which takes a name)
            _ = LayerNames.unique("Functional")
            let i = Input(shape: [4])
            return try Model(inputs: i, outputs: try Dense(1)(try inner(i)))
        case "seq2seq":
            let encoderInputs = Input(shape: [nil, 12])
            let (_, states) = try LSTM(16, returnState: true).callWithStates(encoderInputs)
            let decoderInputs = Input(shape: [nil, 13])
            let (sequence, _) = try LSTM(16, returnSequences: true, returnState: true).callWithStates(decoderInputs, initialState: states)
            return try Model(inputs: [encoderInputs, decoderInputs], outputs: [try Dense(13, activation: .softmax)(sequence)])
        default:
            let i = Input(shape: [5, 28, 28, 1])
            var x = try TimeDistributed(Conv2D(8, (3, 3), activation: .relu))(i)
            x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
            x = try TimeDistributed(Flatten())(x)
            x = try LSTM(32)(x)
            return try Model(inputs: i, outputs: try Dense(10, activation: .softmax)(x))
        }
    }

    @Test(arguments: ["functional_lenet", "two_inputs_concat", "shared_layer", "two_outputs", "nested_model", "seq2seq", "cnn_lstm"])
    func summary(_ which: String) throws {
        let fixture = try #require(try Self.fixtures()["summaries"] as? [String: Any])
        let expected = try #require(fixture[which] as? [String: Any])
        let model = try LayerNames.withFreshNames { try Self.build(which) }
        #expect(model.summaryText(lineLength: 76) == expected["text"] as? String)
        #expect(model.summaryText(lineLength: 88) == expected["text_wide"] as? String)
        #expect(model.countParams() == expected["total"] as? Int)
        let names = try #require(expected["layers"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(model.layers.map(\.name) == names)
    }

    @Test func mergeLayers() throws {
        let cases = try #require(try Self.fixtures()["merge_layers"] as? [[String: Any]])
        #expect(cases.count >= 13)
        for fixture in cases {
            let name = try #require(fixture["name"] as? String)
            let config = fixture["config"] as? [String: Any] ?? [:]
            let inputs = try tensors(fixture["inputs"]).map { $0.trackingGradients() }
            let layer = try makeLayer(try #require(fixture["layer"] as? String), config)
            let output = try (layer as? MergeLayer).map { try $0(inputs) } ?? layer(inputs[0])
            expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
            let grads = try gradients(of: (output * tensor(fixture["upstream"])).sum(), wrt: inputs)
            for (i, (actual, expected)) in zip(grads, try tensors(fixture["grad_inputs"])).enumerated() {
                expectClose(actual, expected, tolerance: 1e-4, "\(name) input \(i) gradient")
            }
        }
    }

    /// train_on_batch on a two-output model: total (weighted) and per-output losses, weights.
    @Test func multiOutputTraining() throws {
        let fixture = try #require(try Self.fixtures()["multi_output_training"] as? [String: Any])
        let model = try LayerNames.withFreshNames { try Self.build("two_outputs") }
        model.compile(loss: [.sparseCategoricalCrossentropy, .meanSquaredError], lossWeights: [1, 0.5],
                      optimizer: SGD(learningRate: 0.1))
        try model.setWeights(try tensors(fixture["weights_flat"]))
        let x = try tensor(fixture["x"]), yClass = try tensor(fixture["y_class"]), yValue = try tensor(fixture["y_value"])
        let expectedResults = try #require(fixture["train_on_batch"] as? [[Double]])
        let expectedWeights = try #require(fixture["weights_after"] as? [Any])
        for step in 0..<expectedResults.count {
            let results = try model.trainOnBatch([x], [yClass, yValue])
            #expect(results.count == expectedResults[step].count)
            for (a, e) in zip(results, expectedResults[step]) { #expect(Swift.abs(a - Float(e)) < 1e-5, "step \(step + 1): \(results)") }
            for (i, (actual, want)) in zip(model.getWeights(), try tensors(expectedWeights[step])).enumerated() {
                expectClose(actual, want, tolerance: 1e-4, "step \(step + 1) weight \(i)")
            }
        }
    }

    /// The encoder-decoder: predictions, one Adam step, updated weights.
    @Test func seq2seqStep() throws {
        let fixture = try #require(try Self.fixtures()["seq2seq_step"] as? [String: Any])
        let model = try LayerNames.withFreshNames { try Self.build("seq2seq") }
        try model.setWeights(try tensors(fixture["weights_flat"]))
        let xEnc = try tensor(fixture["x_enc"]), xDec = try tensor(fixture["x_dec"]), y = try tensor(fixture["y"])
        expectClose(try model.predict([xEnc, xDec])[0], try tensor(fixture["predict"]), tolerance: 1e-5, "prediction")
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.01))
        let loss = try model.trainOnBatch([xEnc, xDec], [y])[0]
        let expected = Float(try #require(fixture["loss_value"] as? Double))
        #expect(Swift.abs(loss - expected) < 1e-5, "\(loss) vs \(expected)")
        for (i, (actual, want)) in zip(model.getWeights(), try tensors(fixture["weights_after"])).enumerated() {
            expectClose(actual, want, tolerance: 1e-4, "weight \(i)")
        }
    }
}
