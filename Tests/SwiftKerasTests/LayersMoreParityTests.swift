import Testing
@testable import SwiftKeras

/// The layers of layers_more.json against Keras 3: outputs (1e-5), gradients with respect
/// to the inputs and the trainable weights (1e-4), and the weights after the calls (moving
/// statistics), from Scripts/keras_fixtures/layers_more.py.
@Suite struct LayersMoreParityTests {
    /// The cases by name, parsed once (the file is large; parsing it per case cost seconds).
    nonisolated(unsafe) static let cases: [String: [String: Any]] = Dictionary(
        ((try? Fixtures.load("layers_more")) ?? []).map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })

    @Test(arguments: Fixtures.names("layers_more"))
    func layer(_ name: String) throws {
        let fixture = try #require(Self.cases[name])
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        let inputs = try tensors(fixture["inputs"])
        let differentiable = try #require(fixture["differentiable_inputs"] as? [Int])
        let training = fixture["training"] as? Bool ?? false
        let mask = try fixture["mask"].map { try tensor($0) }
        try layer.buildIfNeeded(inputShape: Array(inputs[0].shape.dropFirst()))
        try layer.setWeights(try tensors(fixture["weights"]))
        if fixture["trainable"] as? Bool == false { layer.trainable = false }

        let tracked = inputs.enumerated().map { differentiable.contains($0.offset) ? $0.element.trackingGradients() : $0.element }
        let (output, addedLosses) = try LayerLosses.collecting { try layer(tracked[0], mask: mask, training: training) }
        if let expectedLosses = fixture["layer_losses"] as? [Double] {
            #expect(addedLosses.count == expectedLosses.count, "\(name) layer losses")
            for (actual, expected) in zip(addedLosses, expectedLosses) {
                #expect(Swift.abs(actual.item - Float(expected)) <= 1e-5 * Swift.max(1, Float(Swift.abs(expected))), "\(name) loss \(actual.item) vs \(expected)")
            }
        }
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
        #expect(try layer.outputShape(for: Array(inputs[0].shape.dropFirst())) == Array(output.shape.dropFirst()), "\(name) output shape")

        if let expectedMask = fixture["output_mask"] {
            let computed = try #require(layer.computeMask(inputs[0], mask: mask), "\(name): no output mask")
            expectClose(computed, try tensor(expectedMask), tolerance: 0, "\(name) output mask")
        } else {
            #expect(layer.computeMask(inputs[0], mask: mask) == nil, "\(name): an output mask where Keras has none")
        }

        let objective = try (output * tensor(fixture["upstream"])).sum()
        let inputGradients = try gradients(of: objective, wrt: differentiable.map { tracked[$0] })
        for (i, (actual, expected)) in zip(inputGradients, try #require(fixture["grad_inputs"] as? [Any])).enumerated() {
            expectClose(actual, try tensor(expected), tolerance: 1e-4, "\(name) input \(i) gradient")
        }
        let trainableNames = try #require(fixture["trainable_weight_names"] as? [String])
        let trainable = layer.trainableWeights
        #expect(trainable.map { String($0.name.split(separator: "/").last!) } == trainableNames, "\(name) trainable weights")
        for (variable, expected) in zip(trainable, try tensors(fixture["grad_weights"])) {
            expectClose(try gradients(of: objective, wrt: [variable])[0], expected, tolerance: 1e-4, "\(name) \(variable.name) gradient")
        }
        for _ in 1..<(fixture["steps"] as? Int ?? 1) { _ = try layer(inputs[0], mask: mask, training: training) }
        for (variable, expected) in zip(layer.weights, try tensors(fixture["weights_after"])) {
            expectClose(withoutGradients { variable.value }, expected, tolerance: 1e-5, "\(name) \(variable.name) after the calls")
        }
    }

    /// Parameterized tests pass vacuously on an empty list: the fixtures must be there.
    @Test func fixturesArePresent() throws {
        #expect(try Fixtures.load("layers_more").count >= 57)
        let models = try Fixtures.loadObject("layers_more_models")
        #expect((models["steps"] as? [Any])?.count ?? 0 >= 5)
        #expect((models["summaries"] as? [String: Any])?.count ?? 0 >= 1)
    }
}
