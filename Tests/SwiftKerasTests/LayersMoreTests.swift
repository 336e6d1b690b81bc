import Testing
@testable import SwiftKeras

/// Behaviour of the newer layers beyond the Keras fixtures: layer gradients against finite
/// differences, frozen BatchNormalization, the state-update hook, regularizers in fit, and
/// bad arguments (each error names the layer and the argument).
@Suite struct LayersMoreTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func checkLayerGradients(_ layer: Layer, input: Tensor, training: Bool = false, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = try layer(input, training: training)
        let result = try checkGradients(at: [input], variables: layer.trainableWeights, epsilon: 1e-2) {
            try layer($0[0], training: training)
        }
        #expect(result.maxRelativeError < 2e-2, "\(what): \(result)", sourceLocation: sourceLocation)
    }

    @Test func layerGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 41)
        func x(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, using: &rng) }
        let bn = BatchNormalization(momentum: 0.5)
        try checkLayerGradients(bn, input: x([5, 3, 2, 4]), training: true, "BatchNormalization (training)")
        try checkLayerGradients(BatchNormalization(axis: 1), input: x([4, 3, 2]), training: false, "BatchNormalization (inference)")
        // (Renorm's corrections are constants to the tape by design, as in Keras, and change
        // with every call: its gradients are checked against Keras's instead.)
        try checkLayerGradients(LayerNormalization(), input: x([3, 4, 5]), "LayerNormalization")
        try checkLayerGradients(LayerNormalization(axis: 1), input: x([3, 4, 5]), "LayerNormalization (axis 1)")
        let prelu = PReLU(alphaInitializer: .constant(0.25), sharedAxes: [1])
        try checkLayerGradients(prelu, input: x([3, 4, 5]).mapDetached { $0 + ($0 >= 0 ? 0.1 : -0.1) }, "PReLU")
        try checkLayerGradients(Softmax(axes: [1, 2]), input: x([2, 3, 4]), "Softmax over two axes")
    }

    @Test func frozenBatchNormalizationUsesAndKeepsItsMovingStatistics() throws {
        let bn = BatchNormalization()
        let x = Tensor.randomNormal([8, 3], mean: 2, stddev: 3)
        _ = try bn(x, training: true)
        let moved = try #require(bn.movingMean).value.scalars
        #expect(moved.allSatisfy { $0 != 0 })
        bn.trainable = false
        let before = bn.getWeights().map(\.scalars)
        let frozen = try bn(x, training: true)
        #expect(bn.getWeights().map(\.scalars) == before)
        #expect(frozen.scalars == (try bn(x, training: false)).scalars)
    }

    @Test func stateUpdatesCanBeIntercepted() throws {
        final class Seen: @unchecked Sendable { var names: [String] = [] }
        let seen = Seen()
        let bn = BatchNormalization(name: "bn")
        let x = Tensor.randomNormal([4, 2])
        try StateUpdates.intercepting({ _, variable, value in
            seen.names.append(variable.name)
            #expect(value.gradNode == nil)
        }) { _ = try bn(x, training: true) }
        #expect(seen.names == ["bn/moving_mean", "bn/moving_variance"])
        // Intercepted updates are not assigned.
        #expect(try #require(bn.movingMean).value.scalars == [0, 0])
        _ = try bn(x, training: false)
        #expect(try #require(bn.movingMean).value.scalars == [0, 0])
    }

    @Test func regularizersJoinTheTrainingLoss() throws {
        let x = Tensor.randomNormal([16, 4]), y = Tensor.randomNormal([16, 2])
        func model(_ regularizer: Regularizer?) -> Sequential {
            setRandomSeed(5)
            let m = Sequential([Dense(2, kernelInitializer: .ones, kernelRegularizer: regularizer, inputShape: [4])])
            m.compile(loss: .meanSquaredError, optimizer: SGD(learningRate: 0))
            return m
        }
        let plain = try model(nil).evaluate(x, y, verbose: 0)[0]
        let regularized = model(.l2(0.5))
        // Σ kernel² = 8 ones: the penalty is 0.5 · 8 = 4.
        let loss = try regularized.evaluate(x, y, verbose: 0)[0]
        #expect(Swift.abs(loss - plain - 4) < 1e-4)
        let history = try regularized.fit(x, y, batchSize: 16, epochs: 1, verbose: 0)
        #expect(Swift.abs(try #require(history.history["loss"]?.first) - plain - 4) < 1e-4)
        #expect(try regularized.regularizationLosses.map(\.item) == [4])
    }

    @Test func regularizerAndConstraintValues() throws {
        let w = try Tensor([3, -4, 0, 1], shape: [2, 2])
        #expect(try Regularizer.l1(0.1)(w).item == Float(0.8))
        #expect(Swift.abs(try Regularizer.l2(0.1)(w).item - 2.6) < 1e-6)
        #expect(Swift.abs(try Regularizer.l1l2(l1: 0.1, l2: 0.1)(w).item - 3.4) < 1e-6)
        // Columns (3, 0) and (-4, 1): norms 3 and √17.
        let maxNorm = try Constraint.maxNorm(2)(w).scalars
        #expect(Swift.abs(maxNorm[0] - 2) < 1e-5 && Swift.abs(maxNorm[2]) < 1e-6)
        #expect(try Constraint.nonNeg(w).scalars == [3, 0, 0, 1])
        let unit = try Constraint.unitNorm(axis: 1)(w).scalars
        #expect(Swift.abs(unit[0] - 0.6) < 1e-5 && Swift.abs(unit[1] + 0.8) < 1e-5)
    }

    @Test func badArgumentsNameTheLayerAndTheArgument() {
        let x = Tensor.zeros([2, 3])
        let axis = message { _ = try BatchNormalization(axis: 2, name: "bn")(x) }
        #expect(axis.contains("\"bn\"") && axis.contains("axis 2"))
        let lnAxis = message { _ = try LayerNormalization(axis: 3, name: "ln")(x) }
        #expect(lnAxis.contains("\"ln\"") && lnAxis.contains("axis 3"))
        let momentum = message { _ = try BatchNormalization(momentum: 1.5, name: "bn2")(x) }
        #expect(momentum.contains("\"bn2\"") && momentum.contains("momentum"))
        let unknownRegularizer = message { _ = try Dense(2, kernelRegularizer: "l3", name: "d")(x) }
        #expect(unknownRegularizer.contains("\"d\"") && unknownRegularizer.contains("kernel_regularizer") && unknownRegularizer.contains("'l3'"))
        let negative = message { _ = try Dense(2, biasRegularizer: .l2(-1), name: "d2")(x) }
        #expect(negative.contains("\"d2\"") && negative.contains("bias_regularizer"))
        let activity = message { _ = try Dense(2, activityRegularizer: "big", name: "d3")(x) }
        #expect(activity.contains("\"d3\"") && activity.contains("activity_regularizer"))
        let constraint = message { _ = try Dense(2, kernelConstraint: "maxnorm", name: "d4")(x) }
        #expect(constraint.contains("\"d4\"") && constraint.contains("kernel_constraint") && constraint.contains("'maxnorm'"))
        let constraintAxis = message { _ = try Dense(2, kernelConstraint: .maxNorm(2, axis: 4), name: "d5")(x) }
        #expect(constraintAxis.contains("\"d5\"") && constraintAxis.contains("kernel_constraint") && constraintAxis.contains("axis 4"))
        let relu = message { _ = try ReLU(maxValue: -1, name: "r")(x) }
        #expect(relu.contains("\"r\"") && relu.contains("max_value"))
        let leaky = message { _ = try LeakyReLU(negativeSlope: -0.1, name: "lr")(x) }
        #expect(leaky.contains("\"lr\"") && leaky.contains("negative_slope"))
        let prelu = message { _ = try PReLU(sharedAxes: [3], name: "p")(x) }
        #expect(prelu.contains("\"p\"") && prelu.contains("shared_axes"))
        let softmax = message { _ = try Softmax(axis: 5, name: "s")(x) }
        #expect(softmax.contains("\"s\"") && softmax.contains("axis 5"))
        let activation = message { _ = try Dense(2, activation: "gelu_fast", name: "d6")(x) }
        #expect(activation.contains("\"d6\"") && activation.contains("gelu_fast"))
        let maskRank = message { _ = try BatchNormalization(name: "bn3")(Tensor.zeros([2, 3, 4]), mask: Tensor.ones([2]), training: true) }
        #expect(maskRank.contains("\"bn3\"") && maskRank.contains("mask"))
    }
}
