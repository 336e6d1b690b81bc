import Testing
@testable import SwiftKeras

/// Recurrent layers, wrappers, Embedding and masking against values computed by Keras 3.
@Suite struct RecurrentParityTests {
    static let layerCases = Fixtures.names("recurrent").filter {
        !$0.hasPrefix("embedding_") || $0 == "embedding_mask_zero"
    }.filter { $0 != "masked_sequence_loss_evaluate" }

    @Test(arguments: layerCases)
    func layer(_ name: String) throws {
        let fixture = try Fixtures.find("recurrent", name)
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        var input = try tensor(fixture["input"])
        let mask = try fixture["mask"].map { try tensor($0) }
        let initialState = try fixture["initial_state"].map { try tensors($0) }
        try layer.buildIfNeeded(inputShape: Array(input.shape.dropFirst()))
        if let bias = fixture["bias_init"] {
            expectClose(try #require(layer.weights.last).value.detached, try tensor(bias), tolerance: 0, "\(name) initial bias")
        }
        try layer.setWeights(try tensors(fixture["weights"]))
        let differentiable = layer is Embedding ? false : true
        if differentiable { input = input.trackingGradients() }
        let tracked = initialState?.map { $0.trackingGradients() }

        let output: Tensor, states: [Tensor]
        if let rnn = layer as? RNNLayer {
            (output, states) = try rnn.callWithStates(input, initialState: tracked, mask: mask)
        } else {
            (output, states) = (try layer(input, mask: mask), [])
        }
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
        if let expectedStates = fixture["states"] {
            for (i, (actual, expected)) in zip(states, try tensors(expectedStates)).enumerated() {
                expectClose(actual, expected, tolerance: 1e-5, "\(name) state \(i)")
            }
        }
        if let expectedMask = fixture["output_mask"] {
            let computed = try #require(layer.computeMask(input, mask: mask))
            expectClose(computed, try tensor(expectedMask), tolerance: 0, "\(name) mask")
        }

        var objective = try (output * tensor(fixture["upstream"])).sum()
        if let upstreamStates = fixture["upstream_states"] {
            for (state, upstream) in zip(states, try tensors(upstreamStates)) { objective = try objective + (state * upstream).sum() }
        }
        if differentiable {
            expectClose(try gradients(of: objective, wrt: [input])[0], try tensor(fixture["grad_input"]), tolerance: 1e-4, "\(name) input gradient")
        }
        if let tracked, let expected = fixture["grad_initial_state"] {
            for (i, (actual, want)) in zip(try gradients(of: objective, wrt: tracked), try tensors(expected)).enumerated() {
                expectClose(actual, want, tolerance: 1e-4, "\(name) initial state \(i) gradient")
            }
        }
        for (i, (actual, expected)) in zip(try gradients(of: objective, wrt: layer.weights), try tensors(fixture["grad_weights"])).enumerated() {
            expectClose(actual, expected, tolerance: 1e-4, "\(name) weight \(i) gradient")
        }
    }

    func model(_ fixture: [String: Any]) throws -> Sequential {
        let specs = try #require(fixture["layers"] as? [[String: Any]])
        let model = Sequential(try specs.map { try makeLayer(try #require($0["class"] as? String), try #require($0["config"] as? [String: Any])) })
        let input = try tensor(fixture["input"])
        try model.build(inputShape: Array(input.shape.dropFirst()))
        try model.setWeights(try #require(fixture["layers_weights"] as? [Any]).flatMap { try tensors($0) })
        return model
    }

    /// Embedding(mask_zero) feeding a recurrent layer: padded steps are skipped.
    @Test(arguments: ["embedding_lstm_masked", "embedding_gru_masked", "embedding_simplernn_masked"])
    func maskedModel(_ name: String) throws {
        let fixture = try Fixtures.find("recurrent", name)
        let model = try model(fixture)
        let output = try model(try tensor(fixture["input"]))
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
        let objective = try (output * tensor(fixture["upstream"])).sum()
        let expected = try #require(fixture["grad_weights"] as? [Any]).flatMap { try tensors($0) }
        for (i, (actual, want)) in zip(try gradients(of: objective, wrt: model.weights), expected).enumerated() {
            expectClose(actual, want, tolerance: 1e-4, "\(name) weight \(i) gradient")
        }
    }

    /// Keras leaves masked timesteps out of the loss and averages over the rest.
    @Test func maskedSequenceLoss() throws {
        let fixture = try Fixtures.find("recurrent", "masked_sequence_loss_evaluate")
        let model = try model(fixture)
        model.compile(loss: Loss(stringLiteral: try #require(fixture["loss"] as? String)), optimizer: SGD())
        let x = try tensor(fixture["input"]), y = try tensor(fixture["y_true"])
        let (output, mask) = try model.callWithMask(x, training: false)
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "output")
        expectClose(try #require(mask), try tensor(fixture["output_mask"]), tolerance: 0, "mask")
        let loss = try model.evaluate(x, y, verbose: 0)[0]
        let expected = Float(try #require(fixture["loss_value"] as? Double))
        #expect(Swift.abs(loss - expected) < 1e-5, "\(loss) vs \(expected)")
    }

    @Test(arguments: ["imdb_simplernn", "imdb_lstm", "imdb_gru", "stacked_lstm", "char_lstm", "bidirectional_lstm"])
    func summary(_ which: String) throws {
        let fixture = try #require(try Fixtures.loadObject("summaries")[which] as? [String: Any])
        let model = LayerNames.withFreshNames { RecurrentModels.make(which) }
        #expect(model.summaryText(lineLength: 76) == fixture["text"] as? String)
        #expect(model.summaryText(lineLength: 88) == fixture["text_wide"] as? String)
    }
}

/// The lecture's recurrent models, as the examples build them.
enum RecurrentModels {
    static func make(_ which: String) -> Sequential {
        switch which {
        case "imdb_simplernn": return Sequential([Embedding(10000, 32, inputLength: 200), SimpleRNN(32), Dense(1, activation: .sigmoid)])
        case "imdb_lstm": return Sequential([Embedding(10000, 32, inputLength: 200), LSTM(64), Dense(1, activation: .sigmoid)])
        case "imdb_gru": return Sequential([Embedding(10000, 32, inputLength: 200), GRU(64), Dense(1, activation: .sigmoid)])
        case "stacked_lstm":
            return Sequential([Embedding(10000, 32, inputLength: 200), LSTM(64, returnSequences: true), LSTM(64), Dense(1, activation: .sigmoid)])
        case "char_lstm":
            return Sequential([Embedding(65, 32, inputLength: 100), LSTM(128, returnSequences: true),
                               TimeDistributed(Dense(65, activation: .softmax))])
        default: return Sequential([Embedding(10000, 32, inputLength: 200), Bidirectional(LSTM(32)), Dense(1, activation: .sigmoid)])
        }
    }
}
