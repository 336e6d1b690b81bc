import Foundation
import Testing
@testable import SwiftKeras

/// Calls that used to stop the process (a trap on an index, an overflow, a precondition or a
/// fatalError) with arguments a user can pass: each now throws an error naming the call.
@Suite struct TrapTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    // MARK: Rank-0 inputs and the merge base class

    @Test func scalarsHaveNoBatchAxisForAnyLayer() throws {
        let flatten = message { _ = try Flatten(name: "f")(Tensor(2)) }
        #expect(flatten.contains("\"f\"") && flatten.contains("min_ndim=1") && flatten.contains("ndim=0"), "\(flatten)")
        let reshape = message { _ = try Reshape([1], name: "r")(Tensor(2)) }
        #expect(reshape.contains("\"r\"") && reshape.contains("ndim=0"), "\(reshape)")
        for layer: Layer in [Dense(2), RepeatVector(2), Dropout(0.5), ActivationLayer(.relu), Embedding(4, 2), LSTM(2)] {
            #expect(message { _ = try layer(Tensor(2)) }.contains("ndim=0"), "\(layer.name)")
        }
        for merge: MergeLayer in [Add(), Concatenate(), Multiply(), Average()] {
            #expect(message { _ = try merge([Tensor(2), Tensor(3)]) }.contains("ndim=0"), "\(merge.name)")
        }
        #expect(message { _ = try Sequential([Dense(2)]).predict(Tensor(2)) } != "")
    }

    @Test func theMergeBaseClassThrowsInsteadOfStopping() throws {
        let a = try Tensor([[1, 2]])
        let text = message { _ = try MergeLayer(name: nil)([a, a]) }
        #expect(text.contains("MergeLayer") && text.contains("subclass"), "\(text)")
    }

    // MARK: Sizes that overflow

    @Test func oversizedShapesThrow() throws {
        let huge = 1 << 32
        #expect(message { _ = try Reshape([huge, huge])(Tensor.zeros([1, 4])) } != "")
        #expect(message { _ = try Reshape([Int.max / 2, 4])(Tensor.zeros([1, 4])) } != "")
        #expect(message { _ = try Tensor([1, 2], shape: [Int.max / 2, 4]) }.contains("too large"))
        #expect(message { _ = try Tensor([1, 2], shape: [huge, huge, huge]) }.contains("too large"))
        #expect(message { _ = try Tensor([], shape: [0, -2]) }.contains("-2"))
        #expect(message { _ = try Dense(1 << 62)(Tensor.zeros([1, 4])) } != "")
        #expect(message { _ = try Embedding(.max, 1)(Tensor.zeros([1, 1])) } != "")
        #expect(message { _ = try Embedding(1, .max)(Tensor.zeros([1, 1])) } != "")
        #expect(message { _ = try Conv2D(2, (3, 3), strides: (.max, .max), padding: .same)(Tensor.zeros([1, 5, 5, 1])) } == "")
    }

    @Test func windowsBeyondTheKernelsSizesThrow() throws {
        let image = Tensor.zeros([1, 5, 5, 1])
        // Spans that pass Int, and padded frames beyond the kernels' 32-bit sizes.
        #expect(message { _ = try Conv2D(2, (3, 3), padding: .same, dilationRate: (1 << 62, 1))(image) } != "")
        #expect(message { _ = try Conv2D(2, (3, 3), padding: .same, dilationRate: (1 << 20, 1 << 20))(image) }.contains("32-bit"))
        #expect(message { _ = try DepthwiseConv2D((3, 3), padding: .same, dilationRate: (1 << 40, 1))(image) } != "")
        #expect(message { _ = try Conv2DTranspose(2, (3, 3), strides: (.max, .max))(Tensor.zeros([1, 2, 2, 1])) }.contains("beyond Int"))
        #expect(message { _ = try Conv2DTranspose(2, (3, 3), strides: (.max, 1), padding: .same)(Tensor.zeros([1, 2, 2, 1])) }.contains("beyond Int"))
        #expect(message { _ = try MaxPooling2D((.max, .max), padding: .same)(image) } != "")
        #expect(message { _ = try Conv1D(filters: 2, kernelSize: 3, padding: .same, dilationRate: 1 << 62)(Tensor.zeros([1, 5, 1])) } != "")
        // A single output row ignores its stride, as before.
        #expect(try MaxPooling2D((2, 2), strides: (.max, .max))(image).shape == [1, 1, 1, 1])
    }

    @Test func matrixSizesBeyond32BitsThrow() throws {
        // 2^31 columns: mapped lazily, never touched, since the product is refused first. A
        // machine that refuses to map 8 GB at all cannot build these operands.
        guard TensorStorage.canAllocate(count: 1 << 31) else { return }
        let wide = Tensor(uninitializedShape: [1, 1 << 31])
        let tall = Tensor(uninitializedShape: [1 << 31, 1])
        let text = message { _ = try wide.matmul(tall) }
        #expect(text.contains("matmul") && text.contains("32-bit"), "\(text)")
        let batched = message { _ = try batchedMatmul(wide.reshaped([1, 1, 1 << 31]), tall.reshaped([1, 1 << 31, 1])) }
        #expect(batched.contains("batched_matmul") && batched.contains("32-bit"), "\(batched)")
    }

    @Test func hugeLayersThatCannotBeAllocatedAreResourceExhausted() throws {
        // 2^40 units over 4096 inputs: 2^54 bytes, a count a tensor may have but no machine holds.
        let text = message { _ = try Dense(1 << 40, name: "wide")(Tensor.zeros([1, 4096])) }
        #expect(text.contains("\"wide\"") && text.contains("bytes") && text.lowercased().contains("resource exhausted"), "\(text)")
    }

    @Test func batchSizesOfIntMax() throws {
        let model = Sequential([Dense(2, inputShape: [3])])
        model.compile(loss: .mse, optimizer: SGD())
        let x = Tensor.ones([5, 3]), y = Tensor.zeros([5, 2])
        try model.fit(x, y, batchSize: .max, epochs: 1, verbose: 0, shuffle: true)
        _ = try model.evaluate(x, y, batchSize: .max, verbose: 0)
        #expect(try model.predict(x, batchSize: .max).shape == [5, 2])
    }

    @Test func paddingAndOneHotWithHugeSizes() throws {
        #expect(message { _ = try padSequences([[1, 2]], maxlen: .max) }.contains("pad_sequences"))
        #expect(message { _ = try padSequences([[1, 2], [3]], maxlen: Int.max / 2) }.contains("pad_sequences"))
        #expect(message { _ = try toCategorical(Tensor([1e30])) }.contains("to_categorical"))
        #expect(message { _ = try toCategorical(Tensor([3e9]), numClasses: 4) }.contains("to_categorical"))
        #expect(message { _ = try toCategorical(Tensor([1, 2]), numClasses: .max) }.contains("to_categorical"))
        #expect(try toCategorical(Tensor([1, 0])).scalars == [0, 1, 1, 0])
    }

    @Test func idxHeadersWhoseSizesPassATensorThrow() throws {
        let path = NSTemporaryDirectory() + "swiftkeras-idx-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Magic 2051 and no pixels: one image of 0xFFFFFFFF x 0xFFFFFFFF pixels, and (the
        // fuzzer's input) no images of 0xED050607 x 0x26090A0B, which must multiply out too.
        for dimensions: [UInt8] in [[0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                                    [0, 0, 0, 0, 0xED, 0x05, 0x06, 0x07, 0x26, 0x09, 0x0A, 0x0B]] {
            try Data([0, 0, 8, 3] + dimensions).write(to: URL(fileURLWithPath: path))
            let text = message { _ = try MNIST.readImages(path) }
            #expect(text.contains(path) && text.contains("more than a tensor can hold"), "\(text)")
        }
    }

    @Test func imdbIndexFromBeyondIntThrows() throws {
        for indexFrom in [Int.max, Int.max - 5] {
            let text = message { _ = try IMDB.loadData(indexFrom: indexFrom) }
            #expect(text.contains("index_from"), "\(indexFrom): \(text)")
        }
    }

    // MARK: Issue 16's traps

    @Test func tokenizerSplitMustNotBeEmpty() throws {
        let text = message { _ = try Tokenizer(split: "") }
        #expect(text.contains("Tokenizer") && text.contains("split"), "\(text)")
        #expect(try Tokenizer(split: "|").split == "|")
    }

    @Test func itemOfManyElementsThrows() throws {
        #expect(try Tensor([3]).scalarValue() == 3)
        #expect(try Tensor(4).scalarValue() == 4)
        let text = message { _ = try Tensor([1, 2]).scalarValue() }
        #expect(text.contains("2 elements") && text.contains("one element"), "\(text)")
        #expect(message { _ = try Tensor([Float]()).scalarValue() }.contains("one element"))
    }

    @Test func shapesOfTensorFactoriesAreChecked() throws {
        #expect(message { _ = try Tensor(repeating: 0, checkedShape: [-2]) }.contains("-2"))
        #expect(message { _ = try Tensor(repeating: 1, checkedShape: [Int.max, 2]) }.contains("too large"))
        #expect(try Tensor(repeating: 0, checkedShape: [2, 0]).shape == [2, 0])
    }

    // MARK: Sharing one model between threads

    @Test func oneModelEvaluatedAndPredictedFromTwoThreads() throws {
        // evaluate checks (rebuilds) the stack on every call, writing its output shapes.
        let model = Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3)])
        model.compile(loss: .mse, optimizer: SGD())
        let x = try Tensor((0..<64).map { Float($0) / 64 }, shape: [16, 4]), y = Tensor.zeros([16, 3])
        let alone = try model.evaluate(x, y, verbose: 0)
        let predicted = try model.predict(x).scalars
        let shared = Shared(model)
        let mismatches = Lock(0)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for round in 0..<40 {
                // Both threads evaluate; each also predicts on alternate rounds.
                let same = round % 2 == thread
                    ? (try? shared.value.predict(x).scalars) == predicted
                    : (try? shared.value.evaluate(x, y, verbose: 0)) == alone
                if !same { mismatches.withLock { $0 += 1 } }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(model.layerOutputShapes == [[8], [3]])
    }
}
