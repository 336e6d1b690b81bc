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

    @Test func convolutionAndReshapingLayerGradients() throws {
        var rng = RandomGenerator(seed: 42)
        func x(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, using: &rng) }
        try checkLayerGradients(Conv1D(3, 3, padding: .causal, dilationRate: 2), input: x([2, 9, 2]), "Conv1D causal, dilated")
        try checkLayerGradients(Conv1D(2, 4, strides: 2, padding: .same), input: x([2, 9, 3]), "Conv1D same, strided")
        try checkLayerGradients(Conv2D(2, (3, 3), padding: .same, dilationRate: (2, 2)), input: x([1, 6, 6, 2]), "Conv2D dilated")
        try checkLayerGradients(Conv2DTranspose(2, (3, 3), strides: (2, 2), padding: .same), input: x([2, 3, 3, 2]), "Conv2DTranspose")
        try checkLayerGradients(DepthwiseConv2D((3, 3), depthMultiplier: 2), input: x([2, 5, 5, 2]), "DepthwiseConv2D")
        try checkLayerGradients(SeparableConv2D(3, (3, 3), padding: .same, depthMultiplier: 2), input: x([1, 5, 4, 2]), "SeparableConv2D")
        try checkLayerGradients(AveragePooling1D(3, strides: 2, padding: .same), input: x([2, 7, 3]), "AveragePooling1D")
        try checkLayerGradients(GlobalAveragePooling2D(), input: x([2, 3, 4, 2]), "GlobalAveragePooling2D")
        try checkLayerGradients(UpSampling2D(size: (2, 3), interpolation: .bilinear), input: x([2, 3, 2, 2]), "UpSampling2D bilinear")
        try checkLayerGradients(UpSampling1D(size: 2), input: x([2, 3, 2]), "UpSampling1D")
        try checkLayerGradients(ZeroPadding2D(padding: ((1, 0), (2, 1))), input: x([2, 3, 2, 2]), "ZeroPadding2D")
        try checkLayerGradients(Cropping1D(cropping: (1, 2)), input: x([2, 6, 2]), "Cropping1D")
    }

    @Test func noiseLayersAreIdentityInInferenceAndRandomInTraining() throws {
        let x = Tensor.ones([64, 50, 40])
        let spatial = SpatialDropout1D(0.4)
        #expect(try spatial(x).scalars == x.scalars)
        let dropped = try spatial(x, training: true)
        // Whole channels: every step of a (sample, channel) is dropped or kept together.
        let values = dropped.scalars
        var kept = 0
        for n in 0..<64 { for c in 0..<40 {
            let first = values[(n * 50) * 40 + c]
            #expect((0..<50).allSatisfy { values[(n * 50 + $0) * 40 + c] == first })
            if first != 0 { kept += 1; #expect(Swift.abs(first - 1 / 0.6) < 1e-5) }
        } }
        #expect(Swift.abs(Double(kept) / 2560 - 0.6) < 0.05)
        let noise = GaussianNoise(0.5)
        #expect(try noise(x).scalars == x.scalars)
        let noisy = try noise(x, training: true).scalars.map { Double($0 - 1) }
        let mean = noisy.reduce(0, +) / Double(noisy.count)
        let std = (noisy.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noisy.count)).squareRoot()
        #expect(Swift.abs(mean) < 0.01 && Swift.abs(std - 0.5) < 0.01)
        let images = Tensor.ones([32, 4, 4, 30])
        let maps = try SpatialDropout2D(0.5)(images, training: true).scalars
        for n in 0..<32 { for c in 0..<30 {
            let first = maps[n * 480 + c]
            #expect((0..<16).allSatisfy { maps[n * 480 + $0 * 30 + c] == first })
        } }
    }

    @Test func maskingReachesRecurrentLayersAndAveragePooling() throws {
        // Steps of zeros are padding: the LSTM skips them, so padding changes nothing.
        var rng = RandomGenerator(seed: 43)
        let short = Tensor.randomNormal([1, 3, 2], using: &rng)
        let padded = try short.zeroPadded([(0, 0), (0, 4)])
        setRandomSeed(9)
        let model = Sequential([Masking(inputShape: [-1, 2]), LSTM(3)])
        let a = try model.predict(short), b = try model.predict(padded)
        #expect(zip(a.scalars, b.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        // Embedding(maskZero) -> GlobalAveragePooling1D averages only the real tokens.
        setRandomSeed(10)
        let embedding = Embedding(inputDim: 10, outputDim: 4, maskZero: true, inputShape: [5])
        let pooled = Sequential([embedding, GlobalAveragePooling1D()])
        let ids = try Tensor([3, 4, 0, 0, 0], shape: [1, 5])
        let result = try pooled.predict(ids).scalars
        let table = try #require(embedding.embeddings).value.scalars
        let expected = (0..<4).map { (table[12 + $0] + table[16 + $0]) / 2 }
        #expect(zip(result, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }

    @Test func badConvolutionAndReshapingArgumentsNameTheLayer() {
        let sequence = Tensor.zeros([2, 8, 3]), image = Tensor.zeros([2, 6, 6, 2])
        let dilatedStrides = message { _ = try Conv1D(2, 3, strides: 2, dilationRate: 2, name: "c1")(sequence) }
        #expect(dilatedStrides.contains("\"c1\"") && dilatedStrides.contains("dilation_rate"))
        let tooLong = message { _ = try Conv1D(2, 5, dilationRate: 3, name: "c2")(sequence) }
        #expect(tooLong.contains("\"c2\"") && tooLong.contains("does not fit"))
        let rank = message { _ = try Conv1D(2, 3, name: "c3")(image) }
        #expect(rank.contains("\"c3\"") && rank.contains("ndim=3"))
        let outputPadding = message { _ = try Conv2DTranspose(2, (3, 3), strides: (2, 2), outputPadding: (2, 0), name: "t")(image) }
        #expect(outputPadding.contains("\"t\"") && outputPadding.contains("output_padding"))
        let multiplier = message { _ = try DepthwiseConv2D((3, 3), depthMultiplier: 0, name: "dw")(image) }
        #expect(multiplier.contains("\"dw\"") && multiplier.contains("depth_multiplier"))
        let separable = message { _ = try SeparableConv2D(0, (3, 3), name: "sep")(image) }
        #expect(separable.contains("\"sep\"") && separable.contains("filters"))
        let pool = message { _ = try MaxPooling1D(poolSize: 9, name: "mp")(sequence) }
        #expect(pool.contains("\"mp\"") && pool.contains("pool size 9"))
        let crop = message { _ = try Cropping2D(cropping: (3, 0), name: "crop")(image) }
        #expect(crop.contains("\"crop\"") && crop.contains("cropping"))
        let pad = message { _ = try ZeroPadding1D(padding: (-1, 0), name: "zp")(sequence) }
        #expect(pad.contains("\"zp\"") && pad.contains("padding"))
        let size = message { _ = try UpSampling2D(size: (0, 2), name: "up")(image) }
        #expect(size.contains("\"up\"") && size.contains("size"))
        let rate = message { _ = try SpatialDropout1D(1.0, name: "sd")(sequence) }
        #expect(rate.contains("\"sd\"") && rate.contains("rate"))
        let stddev = message { _ = try GaussianNoise(2, name: "gn")(sequence) }
        #expect(stddev.contains("\"gn\"") && stddev.contains("stddev"))
        let globalRank = message { _ = try GlobalMaxPooling2D(name: "gmp")(sequence) }
        #expect(globalRank.contains("\"gmp\"") && globalRank.contains("ndim=4"))
        let maskShape = message { _ = try GlobalAveragePooling1D(name: "gap")(sequence, mask: Tensor.ones([2, 7])) }
        #expect(maskShape.contains("\"gap\"") && maskShape.contains("mask"))
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
