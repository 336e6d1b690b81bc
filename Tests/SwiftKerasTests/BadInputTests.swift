import Testing
@testable import SwiftKeras

/// Wrong shapes, labels, arguments and data give thrown errors that name the layer or
/// argument and what was received, never a trap.
@Suite struct BadInputTests {
    func smallModel() -> Sequential {
        let model = Sequential([
            Conv2D(filters: 2, kernelSize: (3, 3), activation: .relu, inputShape: [8, 8, 1]),
            Flatten(),
            Dense(3, activation: .softmax),
        ])
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: SGD(), metrics: [.accuracy])
        return model
    }

    func images(_ n: Int, _ shape: [Int] = [8, 8, 1]) -> Tensor { Tensor.randomUniform([n] + shape) }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func missingChannelAxisIsAddedAsKerasDoes() throws {
        let model = smallModel()
        let x = Tensor.randomUniform([4, 8, 8])
        let y = try Tensor([0, 1, 2, 0], shape: [4])
        try model.fit(x, y, epochs: 1, verbose: 0)
        #expect(try model.predict(x).shape == [4, 3])
    }

    @Test func incompatibleInputShapesNameTheModelAndShapes() {
        let model = smallModel()
        let wrongChannels = message { _ = try model.predict(images(2, [8, 8, 3])) }
        #expect(wrongChannels.contains("sequential") && wrongChannels.contains("(None, 8, 8, 1)") && wrongChannels.contains("(2, 8, 8, 3)"))
        let flat = message { _ = try model.predict(Tensor.randomUniform([2, 64])) }
        #expect(flat.contains("(2, 64)"))
    }

    @Test func layerInputSpecNamesTheLayer() {
        let dense = Dense(4, name: "classifier")
        #expect(throws: KerasError.self) { _ = try dense(Tensor.randomUniform([5])) }
        _ = try? dense(Tensor.randomUniform([2, 3]))
        let text = message { _ = try dense(Tensor.randomUniform([2, 5])) }
        #expect(text.contains("\"classifier\"") && text.contains("value 3") && text.contains("(None, 5)"))
        let conv = Conv2D(filters: 2, kernelSize: (3, 3), name: "conv")
        let convText = message { _ = try conv(Tensor.randomUniform([2, 8, 8])) }
        #expect(convText.contains("\"conv\"") && convText.contains("ndim=4") && convText.contains("found ndim=3"))
        let tooSmall = message { _ = try Conv2D(filters: 2, kernelSize: (5, 5))(Tensor.randomUniform([1, 3, 3, 1])) }
        #expect(tooSmall.contains("does not fit"))
    }

    @Test func sparseLabelsOutOfRange() throws {
        let model = smallModel()
        let text = message { try model.fit(images(4), try Tensor([0, 1, 3, 0], shape: [4]), verbose: 0) }
        #expect(text.contains("label value of 3.0") && text.contains("[0, 3)"))
        let negative = message { try model.fit(images(2), try Tensor([-1, 0], shape: [2]), verbose: 0) }
        #expect(negative.contains("-1.0"))
        let fractional = message { try model.fit(images(2), try Tensor([0.5, 0], shape: [2]), verbose: 0) }
        #expect(fractional.contains("0.5"))
    }

    @Test func lengthsEmptyDataAndBatchSize() throws {
        let model = smallModel()
        let y = try Tensor([0, 1, 2], shape: [3])
        let lengths = message { try model.fit(images(4), y, verbose: 0) }
        #expect(lengths.contains("cardinality") && lengths.contains("4 samples") && lengths.contains("3"))
        let empty = message { try model.fit(Tensor.zeros([0, 8, 8, 1]), Tensor.zeros([0]), verbose: 0) }
        #expect(empty.contains("empty"))
        let zeroBatch = message { try model.fit(images(3), y, batchSize: 0, verbose: 0) }
        #expect(zeroBatch.contains("batch_size") && zeroBatch.contains("0"))
        #expect(message { _ = try model.predict(images(3), batchSize: -1) }.contains("batch_size"))
        #expect(message { try model.fit(images(3), y, verbose: 0, validationSplit: 1.5) }.contains("validation_split"))
    }

    @Test func nonFiniteInputsAreRejected() throws {
        let model = smallModel()
        var x = images(3)
        x.withMutableData { $0[70] = .nan }
        let text = message { try model.fit(x, try Tensor([0, 1, 2], shape: [3]), verbose: 0) }
        #expect(text.contains("non-finite") && text.contains("sample 1"))
        #expect(message { _ = try model.predict(x) }.contains("non-finite"))
    }

    @Test func oneHotLabelsMustMatchTheOutput() throws {
        let model = smallModel()
        model.compile(loss: .categoricalCrossentropy, optimizer: SGD(), metrics: [.accuracy])
        let text = message { try model.fit(images(2), try Tensor([0, 1], shape: [2]), verbose: 0) }
        #expect(text.contains("to_categorical"))
        #expect(message { _ = try toCategorical(try Tensor([0, 5], shape: [2]), numClasses: 3) }.contains("outside [0, 3)"))
    }

    @Test func compileProblemsSurfaceAtFit() throws {
        let model = smallModel()
        model.compile(loss: "categorical_crossentropi", optimizer: "sgd")
        #expect(message { try model.fit(images(1), Tensor.zeros([1]), verbose: 0) }.contains("categorical_crossentropi"))
        model.compile(loss: "mse", optimizer: "lamb")
        #expect(message { try model.fit(images(1), Tensor.zeros([1, 3]), verbose: 0) }.contains("lamb"))
        let fresh = Sequential([Dense(1, inputShape: [2])])
        #expect(message { try fresh.fit(Tensor.zeros([1, 2]), Tensor.zeros([1]), verbose: 0) }.contains("compile()"))
        let bad = Sequential([Dense(1, activation: "rleu", inputShape: [2])])
        bad.compile(loss: .mse, optimizer: SGD())
        #expect(message { try bad.fit(Tensor.zeros([1, 2]), Tensor.zeros([1]), verbose: 0) }.contains("rleu"))
    }

    @Test func setWeightsChecksCountAndShapes() throws {
        let model = smallModel()
        #expect(message { try model.setWeights([]) }.contains("expected 4 arrays, received 0"))
        var weights = model.getWeights()
        weights[0] = Tensor.zeros([1, 1])
        #expect(message { try model.setWeights(weights) }.contains("(3, 3, 1, 2)"))
    }
}
