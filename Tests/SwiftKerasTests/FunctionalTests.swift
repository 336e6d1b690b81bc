import Testing
@testable import SwiftKeras

/// The functional API: graphs of layers called on `Input`s.
@Suite struct FunctionalTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    static func functionalLeNet() throws -> Model {
        let inputs = Input(shape: [28, 28, 1])
        var x = try Conv2D(filters: 32, kernelSize: (5, 5), padding: .same, activation: .relu)(inputs)
        x = try MaxPool2D(poolSize: (2, 2), strides: (2, 2))(x)
        x = try Conv2D(filters: 48, kernelSize: (5, 5), padding: .same, activation: .relu)(x)
        x = try MaxPool2D(poolSize: (2, 2), strides: (2, 2))(x)
        x = try Flatten()(x)
        x = try Dense(256, activation: .relu)(x)
        x = try Dense(84, activation: .relu)(x)
        let outputs = try Dense(10, activation: .softmax)(x)
        return try Model(inputs: inputs, outputs: outputs)
    }

    /// The same seed gives the same initial and trained weights as the Sequential LeNet.
    @Test func functionalLeNetTrainsLikeSequential() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomUniform([16, 28, 28, 1], using: &rng)
        let y = try Tensor((0..<16).map { Float($0 % 10) }, shape: [16])
        func train(_ make: () throws -> Model) throws -> [Tensor] {
            try GlobalRandom.withSeed(5) {
                let model = try make()
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(learningRate: 0.05), metrics: [.accuracy])
                try model.fit(x, y, batchSize: 8, epochs: 2, verbose: 0)
                return model.getWeights()
            }
        }
        let functional = try train { try Self.functionalLeNet() }
        let sequential = try train { LectureModels.lenet() }
        #expect(functional.count == sequential.count)
        for (a, b) in zip(functional, sequential) { #expect(a.shape == b.shape && a.scalars == b.scalars) }
        #expect(try Self.functionalLeNet().countParams() == 664_086)
    }

    @Test func twoInputsSharedLayersAndNestedModels() throws {
        let a = Input(shape: [8]), b = Input(shape: [4])
        let x = try Dense(16, activation: .relu)(a)
        let y = try Dense(16, activation: .relu)(b)
        let joined = try Concatenate()([x, y])
        let out = try Dense(1, activation: .sigmoid)(joined)
        let model = try Model(inputs: [a, b], outputs: [out])
        #expect(model.countParams() == 8 * 16 + 16 + 4 * 16 + 16 + 32 + 1)
        let prediction = try model.predict([Tensor.randomNormal([5, 8]), Tensor.randomNormal([5, 4])])
        #expect(prediction.count == 1 && prediction[0].shape == [5, 1])

        // One Dense used twice shares its weights: counted once.
        let p = Input(shape: [5]), q = Input(shape: [5])
        let shared = Dense(3)
        let sum = try Add()([try shared(p), try shared(q)])
        let siamese = try Model(inputs: [p, q], outputs: [sum])
        #expect(siamese.countParams() == 18)
        let u = Tensor.randomNormal([2, 5]), v = Tensor.randomNormal([2, 5])
        let expected = try (shared(u) + shared(v)).scalars
        #expect(try siamese([u, v])[0].scalars == expected)

        // A model used as a layer.
        let inner = Sequential([Dense(3, activation: .relu, inputShape: [4]), Dense(2)])
        let i = Input(shape: [4])
        let outer = try Model(inputs: i, outputs: try Dense(1)(try inner(i)))
        #expect(outer.countParams() == inner.countParams() + 3)
        let z = Tensor.randomNormal([3, 4])
        #expect(try outer(z).shape == [3, 1])

        // The same nested model on two inputs: one layer, weights counted once.
        let i1 = Input(shape: [4]), i2 = Input(shape: [4])
        let twice = try Model(inputs: [i1, i2], outputs: [try Add()([try inner(i1), try inner(i2)])])
        #expect(twice.countParams() == inner.countParams())
        #expect(twice.layers.filter { $0.name == inner.name }.count == 1)
    }

    @Test func twoOutputsTrainWithLossWeights() throws {
        let i = Input(shape: [6])
        let h = try Dense(8, activation: .relu)(i)
        let classes = try Dense(3, activation: .softmax, name: "class_out")(h)
        let value = try Dense(1, name: "value_out")(h)
        let model = try Model(inputs: [i], outputs: [classes, value])
        model.compile(loss: [.sparseCategoricalCrossentropy, .meanSquaredError], lossWeights: [1, 0.5],
                      optimizer: Adam(learningRate: 0.01), metrics: [.accuracy])
        var rng = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal([32, 6], using: &rng)
        let yClass = try Tensor((0..<32).map { Float($0 % 3) }, shape: [32])
        let yValue = Tensor.randomNormal([32, 1], using: &rng)
        let history = try model.fit([x], [yClass, yValue], batchSize: 8, epochs: 3, verbose: 0)
        #expect(Set(history.history.keys) == ["loss", "class_out_loss", "value_out_loss", "class_out_accuracy", "value_out_accuracy"])
        let scores = try model.evaluate([x], [yClass, yValue], verbose: 0)
        // total = class loss + 0.5 · value loss
        #expect(Swift.abs(scores[0] - (scores[1] + 0.5 * scores[2])) < 1e-4)
        #expect(try model.predict([x]).map(\.shape) == [[32, 3], [32, 1]])

        // Metrics per output: accuracy for the classes only.
        model.compile(loss: [.sparseCategoricalCrossentropy, .meanSquaredError], optimizer: SGD(), metrics: [[.accuracy], []])
        let perOutput = try model.fit([x], [yClass, yValue], epochs: 1, verbose: 0)
        #expect(Set(perOutput.history.keys) == ["loss", "class_out_loss", "value_out_loss", "class_out_accuracy"])
        #expect(try model.evaluate([x], [yClass, yValue], verbose: 0).count == 4)
        model.compile(loss: [.sparseCategoricalCrossentropy, .meanSquaredError], optimizer: SGD(), metrics: [[.accuracy]])
        #expect(message { try model.fit([x], [yClass, yValue], verbose: 0) }.contains("metrics were given for 1"))
    }

    @Test func badGraphsAndArraysNameLayersAndShapes() throws {
        let a = Input(shape: [4], name: "features"), b = Input(shape: [4], name: "extra")
        let out = try Dense(2)(a)
        #expect(message { _ = try Model(inputs: [b], outputs: [out]) }.contains("graph disconnected") )
        #expect(message { _ = try Model(inputs: [b], outputs: [out]) }.contains("\"features\""))
        #expect(message { _ = try Model(inputs: [a, b], outputs: [out]) }.contains("\"extra\" of shape (None, 4) is not connected"))
        let wide = Input(shape: [3, 5]), tall = Input(shape: [4, 5])
        let concat = message { _ = try Concatenate()([wide, tall]) }
        #expect(concat.contains("(None, 3, 5)") && concat.contains("(None, 4, 5)"))
        let model = try Model(inputs: a, outputs: out)
        model.compile(loss: .meanSquaredError, optimizer: SGD())
        let arrays = message { try model.fit([Tensor.zeros([2, 4]), Tensor.zeros([2, 4])], [Tensor.zeros([2, 2])], verbose: 0) }
        #expect(arrays.contains("expects 1 input array(s), received 2"))
        let targets = message { try model.fit([Tensor.zeros([2, 4])], [Tensor.zeros([2, 2]), Tensor.zeros([2, 2])], verbose: 0) }
        #expect(targets.contains("1 output(s) but 2 target array(s)"))
        #expect(message { _ = try Dense(2)(Input(shape: [3, 4, 5, 6])) }.isEmpty)
        #expect(message { _ = try Conv2D(2, (3, 3))(Input(shape: [8])) }.contains("expected ndim=4"))
    }

    /// Gradients flow through merge layers and shared layers (finite differences). Seeded as a
    /// whole, weights too: Maximum has a kink, and unseeded weights put a pair of its inputs
    /// within the finite difference's step of each other now and then (0.023 seen once; this
    /// seed gives 1.5e-4).
    @Test func gradientsThroughMergeAndSharedLayers() throws {
        try GlobalRandom.withSeed(21) { try gradientsThroughMergeAndSharedLayersSeeded() }
    }

    private func gradientsThroughMergeAndSharedLayersSeeded() throws {
        var rng = RandomGenerator(seed: 21)
        let shared = Dense(3, activation: .tanh)
        let p = Input(shape: [4]), q = Input(shape: [4])
        let left = try shared(p), right = try shared(q)
        let merged = try Concatenate()([try Multiply()([left, right]), try Subtract()([left, right]),
                                        try Maximum()([left, right]), try Average()([left, right])])
        let model = try Model(inputs: [p, q], outputs: [try Dense(2)(merged)])
        let u = Tensor.randomNormal([3, 4], using: &rng), v = Tensor.randomNormal([3, 4], using: &rng)
        _ = try model([u, v])
        let result = try checkGradients(at: [u, v], variables: model.weights, epsilon: 1e-3) { try model($0)[0] }
        #expect(result.maxRelativeError < 2e-2, "\(result)")
        let dot = try checkGradients(at: [u, v], epsilon: 1e-3) { try Dot(axes: 1, normalize: true)($0) }
        #expect(dot.maxRelativeError < 2e-2, "\(dot)")
    }
}

@Suite struct CustomTrainingTests {
    /// The custom loop of Docs/CustomTraining.md learns a simple rule.
    @Test func customTrainingLoopFromTheDocs() throws {
        try GlobalRandom.withSeed(4) {
            var rng = RandomGenerator(seed: 4)
            let x = Tensor.randomNormal([256, 4], using: &rng)
            let y = try Tensor((0..<256).map { r in x.scalars[r * 4] > 0 ? Float(1) : 0 }, shape: [256])
            let inputs = Input(shape: [4])
            let model = try Model(inputs: inputs, outputs: try Dense(2, activation: .softmax)(try Dense(8, activation: .relu)(inputs)))
            let optimizer = Adam(learningRate: 0.05)
            let lossFunction = Loss.sparseCategoricalCrossentropy
            var losses: [Float] = []
            for epoch in 0..<20 {
                for start in stride(from: 0, to: 256, by: 32) {
                    let xBatch = try x.slice(rows: start..<(start + 32)), yBatch = try y.slice(rows: start..<(start + 32))
                    let predictions = try model(xBatch, training: true)
                    let loss = try lossFunction(yBatch, predictions)
                    let weights = model.trainableWeights
                    let grads = try gradients(of: loss, wrt: weights)
                    try optimizer.apply(gradients: grads, to: weights)
                    if start == 0 && (epoch == 0 || epoch == 19) { losses.append(loss.item) }
                }
            }
            #expect(losses[1] < losses[0] * 0.5, "\(losses)")
        }
    }
}
