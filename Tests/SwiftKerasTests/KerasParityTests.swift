import Testing
@testable import SwiftKeras

/// Outputs, gradients and optimizer steps against values computed by real Keras 3.
@Suite struct KerasParityTests {
    @Test(arguments: Fixtures.names("layers"))
    func layer(_ name: String) throws {
        let fixture = try Fixtures.find("layers", name)
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        let input = try tensor(fixture["input"])
        try layer.buildIfNeeded(inputShape: Array(input.shape.dropFirst()))
        try layer.setWeights(try tensors(fixture["weights"]))

        let output = try layer(input)
        expectClose(output, try tensor(fixture["output"]), tolerance: 1e-5, "\(name) output")
        #expect(try layer.outputShape(for: Array(input.shape.dropFirst())) == Array(output.shape.dropFirst()))

        let tracked = input.trackingGradients()
        let upstream = try tensor(fixture["upstream"])
        let objective = try (layer(tracked) * upstream).sum()
        let inputGrad = try gradients(of: objective, wrt: [tracked])[0]
        expectClose(inputGrad, try tensor(fixture["grad_input"]), tolerance: 1e-4, "\(name) input gradient")
        let weightGrads = try gradients(of: try (layer(input) * upstream).sum(), wrt: layer.weights)
        for (i, (actual, expected)) in zip(weightGrads, try tensors(fixture["grad_weights"])).enumerated() {
            expectClose(actual, expected, tolerance: 1e-4, "\(name) weight \(i) gradient")
        }
    }

    @Test(arguments: Fixtures.names("losses"))
    func loss(_ name: String) throws {
        let fixture = try Fixtures.find("losses", name)
        let config = fixture["config"] as? [String: Any] ?? [:]
        let lossName = try #require(fixture["loss"] as? String)
        let kind = try #require(Loss.Kind(rawValue: lossName))
        let loss = Loss(kind, fromLogits: config["from_logits"] as? Bool ?? false,
                        labelSmoothing: Float(config["label_smoothing"] as? Double ?? 0))
        let yTrue = try tensor(fixture["y_true"])
        let input = try tensor(fixture["y_pred"]).trackingGradients()
        let prediction: Tensor
        switch fixture["through"] as? String {
        case "softmax": prediction = input.softmax()
        case "sigmoid": prediction = input.sigmoid()
        default: prediction = input
        }
        let value = try loss(yTrue, prediction)
        let expected = Float(try #require(fixture["loss_value"] as? Double))
        #expect(Swift.abs(value.item - expected) <= 1e-5 * Swift.max(1, Swift.abs(expected)), "\(name): \(value.item) vs \(expected)")
        expectClose(try gradients(of: value, wrt: [input])[0], try tensor(fixture["grad_y_pred"]), tolerance: 1e-4, "\(name) gradient")
    }

    static func makeOptimizer(_ name: String, _ config: [String: Any]) throws -> Optimizer {
        func float(_ key: String) -> Float? { (config[key] as? Double).map { Float($0) } }
        let clip = (float("clipnorm"), float("clipvalue"), float("global_clipnorm"))
        switch name {
        case "SGD":
            return SGD(learningRate: float("learning_rate") ?? 0.01, momentum: float("momentum") ?? 0,
                       nesterov: config["nesterov"] as? Bool ?? false, clipnorm: clip.0, clipvalue: clip.1, globalClipnorm: clip.2)
        case "Adam":
            return Adam(learningRate: float("learning_rate") ?? 0.001, amsgrad: config["amsgrad"] as? Bool ?? false,
                        clipnorm: clip.0, clipvalue: clip.1, globalClipnorm: clip.2)
        case "RMSprop":
            return RMSprop(learningRate: float("learning_rate") ?? 0.001, momentum: float("momentum") ?? 0,
                           centered: config["centered"] as? Bool ?? false, clipnorm: clip.0, clipvalue: clip.1, globalClipnorm: clip.2)
        case "Adagrad":
            return Adagrad(learningRate: float("learning_rate") ?? 0.001, clipnorm: clip.0, clipvalue: clip.1, globalClipnorm: clip.2)
        default: throw KerasError.invalidArgument("unknown optimizer \(name)")
        }
    }

    @Test(arguments: Fixtures.names("optimizers"))
    func optimizer(_ name: String) throws {
        let fixture = try Fixtures.find("optimizers", name)
        let optimizer = try Self.makeOptimizer(try #require(fixture["optimizer"] as? String), fixture["config"] as? [String: Any] ?? [:])
        let variables = try tensors(fixture["initial"]).enumerated().map { Variable($1, name: "v\($0)") }
        let steps = try #require(fixture["gradients"] as? [Any])
        let expectedSteps = try #require(fixture["after_step"] as? [Any])
        for (step, (grads, expected)) in zip(steps, expectedSteps).enumerated() {
            try optimizer.apply(gradients: try tensors(grads), to: variables)
            for (variable, want) in zip(variables, try tensors(expected)) {
                expectClose(withoutGradients { variable.value }, want, tolerance: 1e-4, "\(name) step \(step + 1) \(variable.name)")
            }
        }
    }

    /// A whole train_on_batch (forward, loss, tape, optimizer) on a small CNN.
    @Test(arguments: Fixtures.names("model_steps"))
    func trainStep(_ name: String) throws {
        let fixture = try Fixtures.find("model_steps", name)
        let model = Sequential([
            Conv2D(filters: 3, kernelSize: (3, 3), padding: .same, activation: .relu, inputShape: [6, 6, 1]),
            MaxPooling2D(poolSize: (2, 2)),
            Flatten(),
            Dense(5, activation: .relu),
            Dense(4, activation: .softmax),
        ])
        let optimizer = try Self.makeOptimizer(try #require(fixture["optimizer"] as? String), fixture["config"] as? [String: Any] ?? [:])
        model.compile(loss: Loss(stringLiteral: try #require(fixture["loss"] as? String)), optimizer: optimizer)
        try model.setWeights(try #require(fixture["layers_weights_initial"] as? [Any]).flatMap { try tensors($0) })
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        let losses = try #require(fixture["losses"] as? [Double])
        let after = try #require(fixture["weights_after"] as? [Any])
        for step in 0..<losses.count {
            let loss = try model.trainOnBatch(x, y)[0]
            #expect(Swift.abs(loss - Float(losses[step])) <= 1e-5 * Swift.max(1, Float(losses[step])), "\(name) step \(step + 1) loss \(loss) vs \(losses[step])")
            let expected = try #require(after[step] as? [Any]).flatMap { try tensors($0) }
            for (i, (actual, want)) in zip(model.getWeights(), expected).enumerated() {
                expectClose(actual, want, tolerance: 1e-4, "\(name) step \(step + 1) weight \(i)")
            }
        }
    }

    @Test(arguments: ["lenet", "cnn"])
    func summary(_ which: String) throws {
        let fixture = try #require(try Fixtures.loadObject("summaries")[which] as? [String: Any])
        let model = LayerNames.withFreshNames { which == "lenet" ? LectureModels.lenet() : LectureModels.dropoutCNN() }
        #expect(model.summaryText(lineLength: 76) == fixture["text"] as? String)
        #expect(model.summaryText(lineLength: 88) == fixture["text_wide"] as? String)
        #expect(model.countParams() == fixture["total"] as? Int)
    }
}

/// The two lecture models, as the examples build them.
enum LectureModels {
    static func lenet() -> Sequential {
        let model = Sequential()
        model.add(Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu, inputShape: [28, 28, 1]))
        model.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        model.add(Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu))
        model.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
        model.add(Flatten())
        model.add(Dense(256, activation: .relu))
        model.add(Dense(84, activation: .relu))
        model.add(Dense(10, activation: .softmax))
        return model
    }

    static func dropoutCNN() -> Sequential {
        let model = Sequential()
        model.add(Conv2D(32, (3, 3), activation: "relu", inputShape: [28, 28, 1]))
        model.add(Conv2D(64, (3, 3), activation: "relu"))
        model.add(MaxPooling2D((2, 2)))
        model.add(Dropout(0.25))
        model.add(Flatten())
        model.add(Dense(128, activation: "relu"))
        model.add(Dropout(0.25))
        model.add(Dense(10, activation: "softmax"))
        return model
    }
}

/// Parameterized parity tests pass vacuously on an empty list, so the fixtures' presence is a test of its own.
@Suite struct FixtureInventoryTests {
    @Test(arguments: [("layers", 38), ("losses", 26), ("optimizers", 12), ("model_steps", 4), ("recurrent", 55)])
    func fixtureFileHasItsCases(file: String, minimum: Int) throws {
        #expect(try Fixtures.load(file).count >= minimum)
    }
}
