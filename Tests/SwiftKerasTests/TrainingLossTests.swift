import Foundation
import Testing
@testable import SwiftKeras

/// Losses against Keras (Fixtures/training_losses.json, from Scripts/keras_fixtures/training.py).
@Suite struct TrainingLossTests {
    static func section(_ key: String) throws -> Any? { try Fixtures.loadObject("training_losses")[key] }

    static func cases() throws -> [[String: Any]] { try #require(try section("cases") as? [[String: Any]]) }

    static var caseNames: [String] { ((try? cases()) ?? []).compactMap { $0["name"] as? String } }

    /// A JSON object as a ConfigObject.
    static func configObject(_ any: Any?) throws -> ConfigObject {
        let json = try JSONSerialization.data(withJSONObject: any ?? [String: Any](), options: [.sortedKeys])
        return try #require(try ConfigValue.parse(json: Array(json)).objectValue)
    }

    static func makeLoss(_ fixture: [String: Any]) throws -> Loss {
        try Loss.fromConfig(className: try #require(fixture["class_name"] as? String), try configObject(fixture["config"]))
    }

    @Test(arguments: caseNames)
    func valueAndGradient(_ name: String) throws {
        let fixture = try #require(try Self.cases().first { $0["name"] as? String == name })
        let loss = try Self.makeLoss(fixture)
        let yTrue = try tensor(fixture["y_true"])
        let input = try tensor(fixture["y_pred"]).trackingGradients()
        let prediction: Tensor
        switch fixture["through"] as? String {
        case "softmax": prediction = input.softmax()
        case "sigmoid": prediction = input.sigmoid()
        default: prediction = input
        }
        let weights = try fixture["sample_weight"].map { try tensor($0) }
        let value = try loss(yTrue, prediction, sampleWeight: weights)
        let expected = try tensor(fixture["value"])
        expectClose(value.rank == 0 ? value : try value.reshaped(expected.shape), expected, tolerance: 1e-5, "\(name) value")
        #expect(value.shape == expected.shape, "\(name): shape \(value.shape) vs \(expected.shape)")
        let grad = try gradients(of: try value.sum(), wrt: [input])[0]
        expectClose(grad, try tensor(fixture["grad_y_pred"]), tolerance: 1e-4, "\(name) gradient")
    }

    /// Finite differences agree with the fused gradients away from the kinks.
    @Test(arguments: Loss.Kind.allCases.filter { $0 != .sparseCategoricalCrossentropy })
    func finiteDifferences(_ kind: Loss.Kind) throws {
        var rng = RandomGenerator(seed: 11)
        let shape = [3, 4]
        var labels = Tensor.randomNormal(shape, using: &rng)
        var predictions = Tensor.randomNormal(shape, using: &rng)
        switch kind {
        case .categoricalCrossentropy, .categoricalFocalCrossentropy, .klDivergence, .categoricalHinge:
            labels = try Tensor([1, 0, 0, 0, 0, 0, 1, 0, 0.2, 0.3, 0.1, 0.4], shape: shape)
            predictions = predictions.softmax().detached
        case .binaryCrossentropy, .binaryFocalCrossentropy:
            labels = labels.mapDetached { $0 > 0 ? 1 : 0 }
            predictions = predictions.sigmoid().detached.mapDetached { 0.05 + 0.9 * $0 }
        case .poisson, .meanSquaredLogarithmicError:
            labels = labels.mapDetached { Swift.abs($0) }
            predictions = predictions.mapDetached { Swift.abs($0) + 0.2 }
        case .hinge, .squaredHinge:
            labels = labels.mapDetached { $0 > 0 ? 1 : -1 }
        default: break
        }
        var loss = Loss(kind, reduction: .none)
        if kind == .huber { loss.delta = 0.7 }
        let check = try checkGradients(at: [predictions], epsilon: 1e-3) { try loss(labels, $0[0]) }
        #expect(check.maxRelativeError < 2e-2, "\(kind): \(check)")
    }

    @Test func configsMatchKeras() throws {
        let configs = try #require(try Self.section("configs") as? [[String: Any]])
        for entry in configs {
            let className = try #require(entry["class_name"] as? String)
            let loss = try Loss.fromConfig(className: className, try Self.configObject(entry["arguments"]))
            var expected = try Self.configObject(entry["config"])
            // Keras drops these two from its config; SwiftKeras keeps them when not the default.
            if loss.kind == .huber, loss.delta != 1 { expected.merge(["delta": .float(loss.delta)]) }
            if loss.kind == .cosineSimilarity, loss.axis != -1 { expected.merge(["axis": .int(loss.axis)]) }
            // Both through Foundation's JSON, which writes 2.0 as 2, as the fixture went.
            func viaFoundation(_ config: ConfigObject) throws -> ConfigValue {
                .object(try Self.configObject(try JSONSerialization.jsonObject(with: Data(ConfigValue.object(config).json().utf8))))
            }
            let difference = firstDifference(try viaFoundation(loss.getConfig()), try viaFoundation(expected))
            #expect(difference == nil, "\(className) \(entry["arguments"] ?? ""): \(difference ?? "")")
            #expect(try Loss.fromConfig(className: className, loss.getConfig()) == loss, "\(className) round trip")
            let serialized = try #require(entry["serialized"] as? [String: Any])
            #expect(serialized["class_name"] as? String == className)
        }
    }

    @Test func namesAsKerasResolvesThem() throws {
        let names = try #require(try Self.section("names") as? [String: Any])
        for (name, resolved) in names {
            let loss = Loss(stringLiteral: name)
            if let function = resolved as? String {
                let kind = try #require(loss.kind, "\(name) should be a loss")
                // Keras's Huber instance calls itself "huber_loss".
                #expect(kind.rawValue == function || (kind == .huber && function == "huber_loss"), "\(name): \(kind) vs \(function)")
            } else {
                #expect(loss.kind == nil, "\(name) is not a Keras loss")
                #expect(throws: KerasError.self) { try loss.resolvedKind() }
            }
        }
    }

    @Test func badArgumentsNameTheLossAndArgument() throws {
        let cases: [(Loss, String)] = [
            (.huber(delta: -1), "delta"), (.categoricalFocalCrossentropy(gamma: -2), "gamma"),
            (.binaryFocalCrossentropy(alpha: 1.5), "alpha"), (.categoricalCrossentropy(labelSmoothing: 2), "label_smoothing"),
        ]
        for (loss, argument) in cases {
            let model = Sequential([Dense(2, inputShape: [3])])
            model.compile(loss: loss, optimizer: SGD())
            do {
                _ = try model.evaluate(Tensor.zeros([2, 3]), Tensor.zeros([2, 2]))
                Issue.record("\(loss) should be refused")
            } catch {
                #expect("\(error)".contains(argument) && "\(error)".contains(loss.kind!.className), "\(error)")
            }
        }
        #expect(throws: KerasError.self) { try Loss.cosineSimilarity(axis: 3)(Tensor.zeros([2, 3]), Tensor.zeros([2, 3])) }
        #expect(throws: KerasError.self) { try Loss.huber(Tensor.zeros([2, 3]), Tensor.zeros([2, 2])) }
        #expect(throws: (any Error).self) { try Loss.fromConfig(className: "Huber", ["delta": 1, "gamma": 2]) }
        #expect(throws: (any Error).self) { try Loss.fromConfig(className: "Huber", ["reduction": "average"]) }
        #expect(throws: (any Error).self) { try Loss.fromConfig(className: "Focal", [:]) }
    }

    /// A model compiled with a new loss trains, and its loss survives a save and load.
    @Test func compiledLossesTrainAndRoundTrip() throws {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randomNormal([16, 3], using: &rng)
        let y = x.mapDetached { $0 > 0 ? 1 : 0 }
        for loss in [Loss.huber(delta: 0.5), "log_cosh", .binaryFocalCrossentropy(applyClassBalancing: true, gamma: 1),
                     .loss(.poisson, reduction: .sum), "squared_hinge", .cosineSimilarity(axis: -1)] {
            let model = Sequential([Dense(3, activation: loss.kind == .poisson ? .softplus : .sigmoid, inputShape: [3])])
            model.compile(loss: loss, optimizer: Adam(learningRate: 0.05))
            let before = try model.evaluate(x, y)[0]
            _ = try model.fit(x, y, batchSize: 16, epochs: 20, verbose: 0)
            let after = try model.evaluate(x, y)[0]
            #expect(after < before, "\(loss): \(before) -> \(after)")
            let settings = try model.requireCompiled("test")
            let config = compileConfig(settings)
            let copy = Sequential([Dense(3, activation: loss.kind == .poisson ? .softplus : .sigmoid, inputShape: [3])])
            try compileFromConfig(copy, config)
            #expect(try copy.requireCompiled("test").losses[0] == loss.normalizedForSaving, "\(loss)")
        }
    }
}

extension Loss {
    /// The loss as reading its saved config gives it back: by name when it has no
    /// arguments, otherwise built from its class.
    var normalizedForSaving: Loss {
        hasDefaultArguments ? self : (try? Loss.fromConfig(className: kind!.className, getConfig())) ?? self
    }
}
