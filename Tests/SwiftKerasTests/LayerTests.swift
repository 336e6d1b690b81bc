import Testing
@testable import SwiftKeras

@Suite struct LayerTests {
    @Test func defaultNamesFollowKeras() {
        LayerNames.withFreshNames {
            #expect(Dense(1).name == "dense")
            #expect(Dense(1).name == "dense_1")
            #expect(MaxPool2D().name == "max_pooling2d")
            #expect(AveragePooling2D().name == "average_pooling2d")
            #expect(Conv2D(1, (1, 1)).name == "conv2d")
            #expect(ActivationLayer(.relu).name == "activation")
            #expect(Sequential().name == "sequential")
        }
        #expect(LayerNames.snakeCase("SimpleRNN") == "simple_rnn")
        #expect(LayerNames.snakeCase("BatchNormalization") == "batch_normalization")
    }

    @Test func initializersFollowKerasFormulas() throws {
        var rng = RandomGenerator(seed: 11)
        // glorot_uniform on a (5, 5, 32, 48) kernel: limit sqrt(6 / (fan_in + fan_out)).
        let shape = [5, 5, 32, 48]
        let limit = (6.0 / Float(25 * 32 + 25 * 48)).squareRoot()
        let glorot = try Initializer.glorotUniform.make(shape, using: &rng).scalars
        #expect(glorot.allSatisfy { Swift.abs($0) <= limit })
        #expect(glorot.max()! > 0.95 * limit)
        // he_normal: truncated normal whose standard deviation is sqrt(2 / fan_in).
        let he = try Initializer.heNormal.make([1000, 200], using: &rng).scalars
        let std = (he.reduce(0) { $0 + $1 * $1 } / Float(he.count)).squareRoot()
        #expect(Swift.abs(std - (2.0 / 1000).squareRoot()) < 0.002)
        #expect(try Initializer.zeros.make([3], using: &rng).scalars == [0, 0, 0])
        #expect(throws: KerasError.self) { _ = try Initializer("glorot").make([2], using: &rng) }
    }

    @Test(arguments: [[4, 4], [6, 3], [3, 6], [2, 3, 8]])
    func orthogonalInitializerIsOrthogonal(shape: [Int]) throws {
        var rng = RandomGenerator(seed: 12)
        let w = try Initializer.orthogonal().make(shape, using: &rng)
        let cols = shape.last!, rows = w.count / cols
        let m = try w.reshaped([rows, cols])
        // The smaller Gram matrix is the identity.
        let gram = rows >= cols ? try m.transposed().matmul(m) : try m.matmul(m.transposed())
        let n = gram.shape[0]
        for i in 0..<n {
            for j in 0..<n {
                #expect(Swift.abs(gram.scalars[i * n + j] - (i == j ? 1 : 0)) < 1e-4)
            }
        }
    }

    @Test func dropoutScalesInTrainingAndIsIdentityInInference() throws {
        let x = Tensor.ones([100, 100])
        let dropout = Dropout(0.25)
        #expect(try dropout(x, training: false).scalars == x.scalars)
        let dropped = try dropout(x, training: true).scalars
        let zeros = dropped.filter { $0 == 0 }.count
        #expect(Swift.abs(Double(zeros) / 10_000 - 0.25) < 0.02)
        #expect(dropped.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
    }

    @Test func dropoutMaskKeepsExactlyWhereTheUniformDrawIsBelowKeep() {
        // The branch-free mask must draw the same stream and decide as `nextUniform() < keep`.
        for rate: Float in [0.5, 0.25, 0.1, 0.3, 1.0 / 3, 0.9] {
            let mask = GlobalRandom.withSeed(7) { dropoutMask([4_000], rate: rate).scalars }
            let expected: [Float] = GlobalRandom.withSeed(7) {
                var rng = GlobalRandom.makeGenerator()
                return (0..<4_000).map { _ in rng.nextUniform() < 1 - rate ? 1 / (1 - rate) : 0 }
            }
            #expect(mask == expected, "rate \(rate)")
        }
    }

    @Test func layerGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 13)
        let dense = Dense(3, activation: .tanh)
        let conv = Conv2D(filters: 2, kernelSize: (3, 3), strides: (2, 2), padding: .same, activation: .sigmoid)
        let x2 = Tensor.randomNormal([4, 5], using: &rng)
        let x4 = Tensor.randomNormal([2, 5, 5, 2], using: &rng)
        _ = try dense(x2)
        _ = try conv(x4)
        for (layer, x) in [(dense as Layer, x2), (conv, x4)] {
            let result = try checkGradients(at: [x], variables: layer.weights) { try layer($0[0]) }
            #expect(result.maxRelativeError < 2e-2, "\(layer.name): \(result)")
        }
    }

    @Test func sequentialTrainsAndPredictsReproducibly() throws {
        func run() throws -> [Float] { try GlobalRandom.withSeed(21) { try train() } }
        func train() throws -> [Float] {
            let model = Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.05), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 5)
            let x = Tensor.randomNormal([64, 4], using: &rng)
            // A learnable rule: the class is the index of the largest of the first three features.
            let y = try Tensor((0..<64).map { r in
                let row = Array(x.scalars[(r * 4)..<(r * 4 + 3)])
                return Float(row.firstIndex(of: row.max()!)!)
            }, shape: [64])
            let history = try model.fit(x, y, batchSize: 16, epochs: 30, verbose: 0, validationSplit: 0.25)
            #expect(history.history["loss"]!.last! < history.history["loss"]!.first!)
            #expect(Set(history.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
            let score = try model.evaluate(x, y, verbose: 0)
            #expect(score.count == 2 && score[1] > 0.8)
            return try model.predict(x).scalars
        }
        #expect(try run() == run())
    }

    @Test func predictSlicesOnlyModelsWhoseLayersAreSamplewise() throws {
        var rng = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal([150, 6, 6, 2], using: &rng)
        // Samplewise: predict runs batches of 150 in slices, with the same outputs as one call.
        let cnn = Sequential([Conv2D(4, (3, 3), activation: .relu, inputShape: [6, 6, 2]), MaxPool2D(), Flatten(),
                              Dense(5, activation: .softmax)])
        #expect(cnn.isSamplewise)
        let whole = try withoutGradients { try cnn(x, training: false) }
        #expect(try cnn.predict(x, batchSize: 150).scalars == whole.scalars)
        // A Lambda may mix samples (here: centre each batch), so its batches stay whole.
        let centred = Sequential([Lambda({ x in try x - x.mean(axes: [0], keepDims: true) }), Flatten()])
        #expect(!centred.isSamplewise)
        let expected = try withoutGradients { try centred(x, training: false) }
        #expect(try centred.predict(x, batchSize: 150).scalars == expected.scalars)
        #expect(!Sequential([CustomLayerProbe(), Flatten()]).isSamplewise)
    }
}

/// A layer from outside SwiftKeras: not known to be samplewise.
private final class CustomLayerProbe: Layer {
    init() { super.init(name: nil) }
    override func call(_ input: Tensor, training: Bool) throws -> Tensor { input }
}

@Suite struct FormattingTests {
    @Test func numbersAsKerasPrintsThem() {
        #expect(groupedThousands(664_086) == "664,086")
        #expect(groupedThousands(0) == "0")
        #expect(memorySize(bytes: 4 * 664_086) == "2.53 MB")
        #expect(memorySize(bytes: 0) == "0.00 B")
        #expect(formatMetric(0.87791) == "0.8779")
        #expect(formatMetric(4.2263e-06) == "4.2263e-06")
        #expect(formatPerStep(0.037) == "37ms/step")
        #expect(formatPerStep(2) == "2s/step")
        #expect(formatETA(16.7) == "16s")
        #expect(formatETA(65) == "1:05")
        #expect(formatETA(3723) == "1:02:03")
    }
}
