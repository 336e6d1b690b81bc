import Foundation
import Testing
@testable import SwiftKeras

/// Optimizers against Keras (Fixtures/training_optimizers.json, from Scripts/keras_fixtures/training.py).
@Suite struct TrainingOptimizerTests {
    static func section(_ key: String) throws -> Any? { try Fixtures.loadObject("training_optimizers")[key] }
    static func cases() throws -> [[String: Any]] { try #require(try section("cases") as? [[String: Any]]) }
    static var caseNames: [String] { ((try? cases()) ?? []).compactMap { $0["name"] as? String } }
    static var fileNames: [String] {
        ((try? section("files") as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
    }

    /// The optimizer a fixture describes, built from Keras's resolved config.
    static func makeOptimizer(_ fixture: [String: Any]) throws -> Optimizer {
        let className = try #require(fixture["class_name"] as? String)
        let config = try TrainingLossTests.configObject(fixture["resolved_config"])
        return try optimizerFromConfig(kerasObject(module: "keras.optimizers", className: className, config: .object(config)))
    }

    /// The optimizer's state in Keras's `optimizer.variables` order (after iterations and
    /// learning rate): the slots, then the scalar state.
    static func kerasState(_ optimizer: Optimizer, _ variables: [Variable]) -> [Tensor] {
        optimizer.kerasSlots(for: variables).map { optimizer.slots(for: $0.variable)[$0.slot] }
            + optimizer.scalarState.map { Tensor($0) }
    }

    @Test(arguments: caseNames)
    func stepsMatchKeras(_ name: String) throws {
        let fixture = try #require(try Self.cases().first { $0["name"] as? String == name })
        let optimizer = try Self.makeOptimizer(fixture)
        let initial = try tensors(fixture["initial"])
        let variables = [Variable(initial[0], name: "kernel"), Variable(initial[1], name: "bias")]
        if let excluded = fixture["exclude_from_weight_decay"] as? [String] { optimizer.excludeFromWeightDecay(names: excluded) }
        let steps = try #require(fixture["gradients"] as? [Any])
        let expected = try #require(fixture["after_step"] as? [Any])
        for (step, (grads, want)) in zip(steps, expected).enumerated() {
            try optimizer.apply(gradients: try tensors(grads), to: variables)
            for (variable, value) in zip(variables, try tensors(want)) {
                expectClose(withoutGradients { variable.value }, value, tolerance: 1e-4, "\(name) step \(step + 1) \(variable.name)")
            }
        }
        // Every optimizer variable, in Keras's order.
        let state = try #require(fixture["state"] as? [[String: Any]])
        #expect(Float(optimizer.iterations) == (try tensor(state[0]["value"])).item)
        let ours = Self.kerasState(optimizer, variables)
        #expect(ours.count == state.count - 2, "\(name): \(ours.count) state tensors vs Keras's \(state.count - 2)")
        for (tensor, entry) in zip(ours, state.dropFirst(2)) {
            expectClose(tensor, try SwiftKerasTests.tensor(entry["value"]), tolerance: 1e-4, "\(name) \(entry["path"] ?? "")")
        }
    }

    /// getConfig gives Keras's config back, key for key.
    @Test(arguments: caseNames)
    func configMatchesKeras(_ name: String) throws {
        let fixture = try #require(try Self.cases().first { $0["name"] as? String == name })
        let optimizer = try Self.makeOptimizer(fixture)
        let ours = try #require(optimizerConfig(optimizer).objectValue?["config"]?.objectValue)
        var keras = try TrainingLossTests.configObject(fixture["resolved_config"])
        // Keras numbers its optimizer instances ("nadam_2"); the name without the number is ours.
        if let kerasName = keras["name"]?.stringValue, let ourName = ours["name"]?.stringValue {
            #expect(kerasName == ourName || kerasName.hasPrefix(ourName + "_"), "\(name): \(ourName) vs \(kerasName)")
            keras.merge(["name": .string(ourName)])
        }
        func viaFoundation(_ config: ConfigObject) throws -> ConfigValue {
            .object(try TrainingLossTests.configObject(try JSONSerialization.jsonObject(with: Data(ConfigValue.object(config).json().utf8))))
        }
        let difference = firstDifference(try viaFoundation(ours), try viaFoundation(keras))
        #expect(difference == nil, "\(name): \(difference ?? "")")
        #expect(optimizerConfig(optimizer).objectValue?["class_name"]?.stringValue == fixture["class_name"] as? String)
    }

    @Test func namesAsKerasResolvesThem() throws {
        let names = try #require(try Self.section("names") as? [String: String])
        for (name, className) in names {
            #expect(try optimizer(named: name).name == className, "\(name)")
        }
        #expect(throws: KerasError.self) { try optimizer(named: "lamb") }
    }

    /// A model Keras trained and saved loads with its optimizer state, and its next step
    /// is Keras's next step.
    @Test(arguments: fileNames)
    func kerasFileResumesTraining(_ name: String) throws {
        let files = try #require(try Self.section("files") as? [[String: Any]])
        let fixture = try #require(files.first { $0["name"] as? String == name })
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let model = try loadModel(folder.appendingPathComponent(try #require(fixture["file"] as? String)).path)
        let optimizer = try #require(model.compiled?.optimizer)
        let saved = try #require(fixture["optimizer_state"] as? [[String: Any]])
        #expect(Float(optimizer.iterations) == (try tensor(saved[0]["value"])).item)
        let ours = Self.kerasState(optimizer, model.trainableWeights)
        #expect(ours.count == saved.count - 2, "\(name)")
        for (tensor, entry) in zip(ours, saved.dropFirst(2)) {
            expectClose(tensor, try SwiftKerasTests.tensor(entry["value"]), tolerance: 1e-6, "\(name) \(entry["path"] ?? "")")
        }
        let loss = try model.trainOnBatch(try tensor(fixture["x"]), try tensor(fixture["y"]))[0]
        let expectedLoss = Float(try #require(fixture["next_loss"] as? Double))
        #expect(Swift.abs(loss - expectedLoss) <= 1e-5 * Swift.max(1, expectedLoss), "\(name): \(loss) vs \(expectedLoss)")
        for (i, (weight, want)) in zip(model.getWeights(), try tensors(fixture["weights_after_next_step"])).enumerated() {
            expectClose(weight, want, tolerance: 1e-4, "\(name) weight \(i) after the next step")
        }
    }

    /// Saved by SwiftKeras and loaded again, the optimizer state (EMA averages, Nadam's
    /// u_product) comes back and the next step is the same.
    @Test func stateRoundTripsThroughAKerasFile() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([8, 4], using: &rng)
        let y = try Tensor([0, 1, 2, 0, 1, 2, 0, 1], shape: [8])
        for optimizer in [Nadam(learningRate: 0.01, weightDecay: 0.01, useEma: true), AdamW(), Adamax(), Adadelta(), Lion(useEma: true)] as [Optimizer] {
            let model = Sequential([Dense(5, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: optimizer)
            for _ in 0..<2 { _ = try model.trainOnBatch(x, y) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("optimizer-\(optimizer.name)-\(UUID()).keras").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            let loaded = try loadModel(path)
            let copy = try #require(loaded.compiled?.optimizer)
            #expect(type(of: copy) == type(of: optimizer) && copy.iterations == 2)
            let original = Self.kerasState(optimizer, model.trainableWeights), restored = Self.kerasState(copy, loaded.trainableWeights)
            #expect(original.count == restored.count)
            for (a, b) in zip(original, restored) { #expect(a.scalars == b.scalars, "\(optimizer.name) state") }
            let next = try model.trainOnBatch(x, y), nextLoaded = try loaded.trainOnBatch(x, y)
            #expect(next == nextLoaded, "\(optimizer.name)")
            for (a, b) in zip(model.getWeights(), loaded.getWeights()) { #expect(a.scalars == b.scalars, "\(optimizer.name) weights") }
        }
    }

    /// With EMA, fit ends with the weights set to their moving averages, as in Keras.
    @Test func fitEndsOnTheMovingAverages() throws {
        var rng = RandomGenerator(seed: 4)
        let x = Tensor.randomNormal([16, 3], using: &rng)
        let y = x.mapDetached { $0 * 2 }
        let optimizer = SGD(learningRate: 0.1, useEma: true, emaMomentum: 0.9)
        let model = Sequential([Dense(3, inputShape: [3])])
        model.compile(loss: .meanSquaredError, optimizer: optimizer)
        _ = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0)
        for variable in model.trainableWeights {
            let average = optimizer.slots(for: variable)[optimizer.slotCount]
            #expect(withoutGradients { variable.value }.scalars == average.scalars)
        }
    }

    @Test func badArgumentsNameTheOptimizerAndArgument() throws {
        let cases: [(Optimizer, String)] = [
            (Lion(beta1: 0), "beta_1"), (Adam(weightDecay: -1), "weight_decay"), (SGD(useEma: true, emaMomentum: 2), "ema_momentum"),
            (AdamW(emaOverwriteFrequency: 0), "ema_overwrite_frequency"), (Nadam(clipnorm: -1), "clipnorm"),
            (Adadelta(clipnorm: 1, clipvalue: 1), "clipvalue"),
        ]
        for (optimizer, argument) in cases {
            let model = Sequential([Dense(2, inputShape: [3])])
            model.compile(loss: .meanSquaredError, optimizer: optimizer)
            let message = "\(model.compileError.map { "\($0)" } ?? "")"
            #expect(message.contains(argument) && message.contains(optimizer.name), "\(optimizer.name): \(message)")
        }
    }
}
