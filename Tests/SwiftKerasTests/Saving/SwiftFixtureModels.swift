import Foundation
import Testing
@testable import SwiftKeras

/// The models SwiftKeras writes for Keras to read (Fixtures/saving/swift/<case>.keras),
/// layer for layer the models of Scripts/keras_fixtures/saving.py, each built with a fixed
/// seed and, when compiled, trained one step so the file carries optimizer state.
///
/// To regenerate the files (then run the Python generator, which records what Keras reads):
///
///     SOURCE_DATE_EPOCH=1735689600 SWIFTKERAS_WRITE_SAVING_FIXTURES=Tests/SwiftKerasTests/Fixtures/saving/swift \
///         swift test --filter SwiftFixtureWriter
enum SwiftFixtureModels {
    /// A user's own layer and function, registered under the names the Python generator
    /// registers its twins with.
    static let double = registerKerasSerializable(name: "double", package: "SwiftKerasTests") { x in x * 2 }

    static func registerCustomObjects() {
        registerKerasSerializable(Scale.self, package: "SwiftKerasTests")
        _ = double
    }

    /// Token ids in [1, vocabulary), from `rng`.
    static func ids(_ shape: [Int], _ vocabulary: Int, _ rng: inout RandomGenerator) -> Tensor {
        let t = Tensor.randomUniform(shape, low: 1, high: Float(vocabulary), using: &rng)
        return t.mapDetached { $0.rounded(.down) }
    }

    static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (i, label) in labels.enumerated() { values[i * classes + label] = 1 }
        return try! Tensor(values, shape: [labels.count, classes])
    }

    /// name -> the model, built, compiled as the Keras twin is, and trained one step.
    static var builders: [(name: String, build: () throws -> Model)] { [
        ("lenet", {
            let model = Sequential([
                Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu, inputShape: [28, 28, 1]),
                MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid),
                Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu),
                MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid),
                Flatten(), Dense(256, activation: .relu), Dense(84, activation: .relu), Dense(10, activation: .softmax),
            ])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 1)
            try model.trainOnBatch(Tensor.randomUniform([8, 28, 28, 1], using: &rng), ids([8], 10, &rng) - 1)
            return model
        }),
        ("dropout_cnn", {
            let model = Sequential([
                Conv2D(32, (3, 3), activation: .relu, inputShape: [28, 28, 1]), Conv2D(64, (3, 3), activation: .relu),
                MaxPooling2D((2, 2)), Dropout(0.25), Flatten(), Dense(128, activation: .relu), Dropout(0.25),
                Dense(10, activation: .softmax),
            ])
            model.compile(loss: .categoricalCrossentropy, optimizer: SGD(learningRate: 0.01), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 2)
            try model.trainOnBatch(Tensor.randomUniform([4, 28, 28, 1], using: &rng), oneHot([1, 2, 3, 4], classes: 10))
            return model
        }),
        ("imdb_lstm", { try imdb(LSTM(32), Adam()) }),
        ("imdb_gru", { try imdb(GRU(32), RMSprop(clipnorm: 1)) }),
        ("imdb_simple_rnn", { try imdb(SimpleRNN(16), SGD(momentum: 0.9)) }),
        ("bidirectional_lstm", {
            let model = Sequential([Embedding(1000, 16, maskZero: true, inputLength: 20), Bidirectional(LSTM(8)),
                                    Dense(1, activation: .sigmoid)])
            return try trainedOnce(model, Adagrad(learningRate: 0.05), padded: true)
        }),
        ("char_lstm", {
            let model = Sequential([Embedding(65, 32, inputLength: 100), LSTM(128, returnSequences: true),
                                    TimeDistributed(Dense(65, activation: .softmax))])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(amsgrad: true))
            var rng = RandomGenerator(seed: 3)
            let x = ids([4, 100], 65, &rng)
            try model.trainOnBatch(x, ids([4, 100], 65, &rng))
            return model
        }),
        ("seq2seq", {
            let encoderInputs = Input(shape: [nil, 12])
            let (_, states) = try LSTM(16, returnState: true).callWithStates(encoderInputs)
            let decoderInputs = Input(shape: [nil, 13])
            let (decoded, _) = try LSTM(16, returnSequences: true, returnState: true).callWithStates(decoderInputs, initialState: states)
            let outputs = try Dense(13, activation: .softmax)(decoded)
            let model = try Model(inputs: [encoderInputs, decoderInputs], outputs: outputs)
            model.compile(loss: .categoricalCrossentropy, optimizer: RMSprop(), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 4)
            try model.trainOnBatch([Tensor.randomUniform([2, 7, 12], using: &rng), Tensor.randomUniform([2, 5, 13], using: &rng)],
                                   [oneHot(Array(repeating: 3, count: 10), classes: 13).reshaped([2, 5, 13])])
            return model
        }),
        ("cnn_lstm", {
            let inputs = Input(shape: [5, 28, 28, 1])
            var x = try TimeDistributed(Conv2D(8, (3, 3), activation: .relu))(inputs)
            x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
            x = try TimeDistributed(Flatten())(x)
            x = try LSTM(32)(x)
            let model = try Model(inputs: inputs, outputs: try Dense(10, activation: .softmax)(x))
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 5)
            try model.trainOnBatch(Tensor.randomUniform([2, 5, 28, 28, 1], using: &rng), try Tensor([3, 7], shape: [2]))
            return model
        }),
        ("two_outputs", {
            let input = Input(shape: [6])
            let hidden = try Dense(8, activation: .relu)(input)
            let model = try Model(inputs: input, outputs: [try Dense(3, activation: .softmax, name: "class_out")(hidden),
                                                          try Dense(1, name: "value_out")(hidden)])
            model.compile(loss: [.categoricalCrossentropy, .meanSquaredError], lossWeights: [1, 0.5], optimizer: SGD(),
                          metrics: [[.accuracy], []])
            var rng = RandomGenerator(seed: 6)
            try model.trainOnBatch([Tensor.randomNormal([4, 6], using: &rng)],
                                   [oneHot([0, 1, 2, 0], classes: 3), Tensor.randomNormal([4, 1], using: &rng)])
            return model
        }),
        ("shared_and_nested", {
            let a = Input(shape: [5]), b = Input(shape: [5])
            let shared = Dense(3)
            let inner = Sequential([Dense(4, activation: .relu, inputShape: [3]), Dense(2)])
            let sum = try Add()([try shared(a), try shared(b)])
            return try Model(inputs: [a, b], outputs: try inner(sum))
        }),
        ("custom_layer", {
            registerCustomObjects()
            let model = Sequential([Dense(4, inputShape: [3]), Scale(factor: 2.5), Lambda(double)])
            model.compile(loss: .meanSquaredError, optimizer: Adam(learningRate: 0.01))
            var rng = RandomGenerator(seed: 7)
            try model.trainOnBatch(Tensor.randomNormal([4, 3], using: &rng), Tensor.randomNormal([4, 4], using: &rng))
            return model
        }),
        ("attention_text", {
            // Masks from the Embedding through self-attention, causal cross-attention and
            // dot-product attention. SGD: some gradients here are rounding noise around zero
            // (a key bias does not change a softmax), which Adam would scale up to full steps.
            let tokens = Input(shape: [12])
            let x = try Embedding(50, 8, maskZero: true)(tokens)
            let y = try MultiHeadAttention(numHeads: 2, keyDim: 4)(x, x)
            let c = try MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2)(y, x, useCausalMask: true)
            let a = try Attention(useScale: true)([c, y])
            let model = try Model(inputs: tokens, outputs: try Dense(3, activation: .softmax)(try GlobalAveragePooling1D()(a)))
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(learningRate: 0.1, momentum: 0.9), metrics: [.accuracy])
            var rng = RandomGenerator(seed: 9)
            let x0 = ids([4, 12], 50, &rng).mapDetached { $0 < 15 ? 0 : $0 }
            try model.trainOnBatch(x0, try Tensor([0, 1, 2, 1], shape: [4]))
            return model
        }),
    ] }

    static func imdb(_ rnn: RNNLayer, _ optimizer: Optimizer) throws -> Model {
        try trainedOnce(Sequential([Embedding(1000, 16, inputLength: 20), rnn, Dense(1, activation: .sigmoid)]), optimizer, padded: false)
    }

    static func trainedOnce(_ model: Model, _ optimizer: Optimizer, padded: Bool) throws -> Model {
        model.compile(loss: .binaryCrossentropy, optimizer: optimizer, metrics: [.accuracy])
        var rng = RandomGenerator(seed: 8)
        var x = ids([4, 20], 1000, &rng)
        if padded { x = x.mapDetached { $0 < 300 ? 0 : $0 } }
        try model.trainOnBatch(x, try Tensor([0, 1, 1, 0], shape: [4, 1]))
        return model
    }

    /// The model for `name`, built with fresh layer names and a fixed seed.
    static func build(_ name: String) throws -> Model {
        let builder = try #require(builders.first { $0.name == name }).build
        return try LayerNames.withFreshNames { try GlobalRandom.withSeed(1234) { try builder() } }
    }
}

/// Writes the files when asked to (see SwiftFixtureModels); otherwise does nothing.
@Suite struct SwiftFixtureWriter {
    @Test func writeSwiftFiles() throws {
        guard let folder = ProcessInfo.processInfo.environment["SWIFTKERAS_WRITE_SAVING_FIXTURES"] else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, _) in SwiftFixtureModels.builders {
            try SwiftFixtureModels.build(name).save("\(folder)/\(name).keras")
        }
    }
}
