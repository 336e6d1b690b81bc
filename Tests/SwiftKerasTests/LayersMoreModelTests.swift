import Testing
@testable import SwiftKeras

/// Small models with the new layers against Keras 3: train_on_batch steps (losses, every
/// weight after each step: moving statistics, regularized and constrained weights), evaluate
/// and predict, and summary() text and counts; from layers_more_models.json.
@Suite struct LayersMoreModelTests {
    static func model(_ name: String) -> Sequential {
        switch name {
        case "bn_cnn_sgd", "bn_cnn_adam", "bn_cnn":
            return Sequential([
                Conv2D(filters: 3, kernelSize: (3, 3), padding: .same, useBias: false, inputShape: [6, 6, 2]),
                BatchNormalization(momentum: 0.9),
                ActivationLayer(.relu),
                MaxPooling2D((2, 2)),
                Flatten(),
                Dense(5),
                BatchNormalization(),
                ActivationLayer(.relu),
                Dense(4, activation: .softmax),
            ])
        case "regularized_mlp":
            return Sequential([
                Dense(4, activation: .relu, kernelRegularizer: .l2(0.05), biasRegularizer: .l1(0.02),
                      activityRegularizer: .l1l2(l1: 0.01, l2: 0.02), inputShape: [5]),
                ActivityRegularization(l1: 0.03, l2: 0.01),
                Dense(4, activation: .tanh, kernelRegularizer: .orthogonal(factor: 0.1, mode: "columns"),
                      kernelConstraint: .unitNorm(axis: 0)),
                Dense(3, activation: .softmax, kernelRegularizer: "l1", kernelConstraint: .maxNorm(0.8), biasConstraint: "non_neg"),
            ])
        case "regularized_cnn":
            return Sequential([
                Conv2D(3, (3, 3), kernelRegularizer: .l1l2(l1: 0.01, l2: 0.01), activityRegularizer: .l2(0.01),
                       kernelConstraint: .maxNorm(1.0, axes: [0, 1, 2]), inputShape: [5, 5, 2]),
                BatchNormalization(gammaRegularizer: .l2(0.1), betaConstraint: .minMaxNorm(minValue: 0.1, maxValue: 0.5, rate: 0.5)),
                Flatten(),
                Dense(4, activation: .softmax, kernelRegularizer: .orthogonal(factor: 0.05), biasRegularizer: "l2"),
            ])
        case "regularized_embedding":
            return Sequential([
                Embedding(inputDim: 20, outputDim: 4, embeddingsRegularizer: .l2(0.01), embeddingsConstraint: .unitNorm(axis: 1),
                          inputShape: [6]),
                Flatten(),
                Dense(1, activation: .sigmoid),
            ])
        default:
            fatalError("no model for fixture \(name)")
        }
    }

    static func optimizer(_ name: String) -> Optimizer {
        switch name {
        case "bn_cnn_adam": return Adam(learningRate: 0.01)
        case "regularized_cnn": return Adam(learningRate: 0.02)
        case "regularized_embedding": return SGD(learningRate: 0.5)
        default: return SGD(learningRate: 0.1)
        }
    }

    static func loss(_ name: String) -> Loss { name == "regularized_embedding" ? .binaryCrossentropy : .sparseCategoricalCrossentropy }

    static var stepNames: [String] {
        ((try? Fixtures.loadObject("layers_more_models"))?["steps"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test(arguments: stepNames)
    func trainingSteps(_ name: String) throws {
        let steps = try #require(try Fixtures.loadObject("layers_more_models")["steps"] as? [[String: Any]])
        let fixture = try #require(steps.first { $0["name"] as? String == name })
        let model = LayerNames.withFreshNames { Self.model(name) }
        model.compile(loss: Self.loss(name), optimizer: Self.optimizer(name))
        try model.setWeights(try tensors(fixture["weights_initial"]))
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        let losses = try #require(fixture["losses"] as? [Double])
        let after = try #require(fixture["weights_after"] as? [Any])
        let names = try #require(fixture["weight_names"] as? [String])
        for (step, expectedLoss) in losses.enumerated() {
            let loss = try model.trainOnBatch(x, y)[0]
            #expect(Swift.abs(loss - Float(expectedLoss)) <= 1e-5 * Swift.max(1, Float(expectedLoss)),
                    "\(name) step \(step + 1) loss \(loss) vs \(expectedLoss)")
            for (i, (actual, expected)) in zip(model.getWeights(), try tensors(after[step])).enumerated() {
                expectClose(actual, expected, tolerance: 1e-4, "\(name) step \(step + 1) \(names[i])")
            }
        }
        let evaluated = try model.evaluate(x, y, verbose: 0)[0]
        let expectedEvaluate = Float(try #require(fixture["evaluate_loss"] as? Double))
        #expect(Swift.abs(evaluated - expectedEvaluate) <= 1e-5 * Swift.max(1, expectedEvaluate), "\(name) evaluate \(evaluated) vs \(expectedEvaluate)")
        expectClose(try model.predict(x), try tensor(fixture["predict"]), tolerance: 1e-5, "\(name) predict")
    }

    @Test(arguments: ["bn_cnn"])
    func summary(_ name: String) throws {
        let summaries = try #require(try Fixtures.loadObject("layers_more_models")["summaries"] as? [String: Any])
        let fixture = try #require(summaries[name] as? [String: Any])
        let model = LayerNames.withFreshNames { Self.model(name) }
        #expect(model.summaryText(lineLength: 76) == fixture["text"] as? String)
        #expect(model.countParams() == fixture["total"] as? Int)
        #expect(model.trainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) } == fixture["trainable"] as? Int)
        #expect(model.nonTrainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) } == fixture["non_trainable"] as? Int)
    }
}
