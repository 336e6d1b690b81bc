import CZlib
import Foundation
import Testing
@testable import SwiftKeras

/// Calls whose arguments used to push a read or write outside a buffer, or trap: each now
/// throws a Keras-style error (or, where Keras has a defined result, gives that result).
@Suite struct MemorySafetyTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    // MARK: Losses called directly (as in a custom training loop)

    @Test func sparseLabelsOutOfRangeThrowWhenTheLossIsCalledDirectly() throws {
        let logits = try Tensor([[0.1, 0.2, 0.7]])
        for loss in [Loss.sparseCategoricalCrossentropy, .sparseCategoricalCrossentropy(fromLogits: true)] {
            for label: Float in [7, 3, -1, .nan, .infinity, 1e30, 0.5] {
                let text = message { _ = try loss(Tensor([label]), logits) }
                #expect(text.contains("sparse_categorical_crossentropy") && text.contains("[0, 3)"), "label \(label): \(text)")
            }
            // Through the softmax shortcut and with gradients recorded, too.
            let tracked = logits.trackingGradients()
            #expect(throws: KerasError.self) { _ = try loss(Tensor([3]), tracked.softmax()) }
            #expect(try loss(Tensor([2]), tracked.softmax()).count == 1)
        }
    }

    // MARK: predict

    @Test func predictJoinsBatchOutputsWhateverTheirRowCount() throws {
        // Twice the rows of each batch (used to overrun the output buffer sized from the input).
        let doubled = Sequential([Lambda { try concatenate([$0, $0], axis: 0) }])
        let x = try Tensor((0..<32).map(Float.init), shape: [8, 4])
        let twice = try doubled.predict(x, batchSize: 3)
        #expect(twice.shape == [16, 4])
        #expect(Array(twice.scalars[0..<12]) == Array(x.scalars[0..<12]))
        #expect(Array(twice.scalars[12..<24]) == Array(x.scalars[0..<12]))
        // One row per batch (used to return uninitialized memory for the others).
        let first = Sequential([Lambda { try $0.slice(rows: 0..<1) }])
        let firsts = try first.predict(x, batchSize: 3)
        #expect(firsts.shape == [3, 4])
        #expect(firsts.scalars == Array(x.scalars[0..<4]) + Array(x.scalars[12..<16]) + Array(x.scalars[24..<28]))
        // Batches whose other axes differ cannot be joined.
        let ragged = Sequential([Lambda { $0.shape[0] == 3 ? $0 : try concatenate([$0, $0], axis: 1) }])
        let text = message { _ = try ragged.predict(x, batchSize: 3) }
        #expect(text.contains("predict") && text.contains("(3, 4)") && text.contains("(2, 8)"), "\(text)")
    }

    // MARK: Unknown dimensions

    @Test func unknownDimensionsNeverBecomeWeightShapes() throws {
        func expectUndefined(_ text: String, _ layer: String, _ line: Int = #line) {
            #expect(text.contains("\"\(layer)\"") && text.contains("fully-defined") && text.contains("None"), "line \(line): \(text)")
        }
        expectUndefined(message { _ = try Dense(4, name: "d")(Input(shape: [nil])) }, "d")
        expectUndefined(message { _ = try LSTM(4, name: "l")(Input(shape: [nil, nil])) }, "l")
        expectUndefined(message { _ = try Conv2D(8, (3, 3), name: "c")(Input(shape: [28, 28, nil])) }, "c")
        let tokens = Input(shape: [nil])
        let embedded = try Embedding(10, 8)(tokens)
        let flat = try Flatten()(embedded)
        #expect(flat.shape == [-1])
        expectUndefined(message { _ = try Dense(4, name: "after_flatten")(flat) }, "after_flatten")
        #expect(throws: KerasError.self) { _ = try RepeatVector(-1)(Input(shape: [3])) }
        #expect(throws: KerasError.self) { _ = try RepeatVector(-1)(Tensor.zeros([2, 3])) }

        // A declared unknown dimension: the model cannot be built, and says so; nothing traps.
        let model = Sequential([Dense(4, inputShape: [-1], name: "declared")])
        #expect(model.countParams() == 0 && model.weights.isEmpty)
        let summary = model.summaryText(lineLength: 60)
        #expect(summary.contains("\"declared\"") && summary.contains("fully-defined"), "\(summary)")
        // Data fills the unknown dimension in, as for an Input of shape (None,).
        model.compile(loss: .mse, optimizer: SGD())
        try model.fit(Tensor.zeros([2, 3]), Tensor.zeros([2, 4]), verbose: 0)
        #expect(model.countParams() == 16)

        // Unknown spatial dimensions stay unknown through convolution and pooling (Keras's None).
        let image = Input(shape: [nil, nil, 3])
        let conv = try Conv2D(4, (3, 3), padding: .same)(image)
        #expect(conv.shape == [-1, -1, 4])
        #expect(try MaxPool2D((2, 2))(conv).shape == [-1, -1, 4])
        #expect(try Reshape([-1, 2])(Input(shape: [nil, 4])).shape == [-1, 2])
        #expect(try Reshape([2, 2])(Input(shape: [nil])).shape == [2, 2])
        // Negative sizes other than the -1 of an unknown dimension are refused.
        #expect(message { _ = try Dense(2)(Input(shape: [-2])) }.contains("-2"))
    }

    // MARK: summary

    @Test func summaryOfAnyWidthDoesNotTrap() throws {
        let model = Sequential([Dense(4, inputShape: [3]), Dense(2)])
        for width in [Int.min, -1, 0, 3, 7, 19] {
            let text = model.summaryText(lineLength: width)
            #expect(text.contains("Total params: 26"), "width \(width)")
        }
        #expect(model.summaryText(lineLength: 3) == model.summaryText(lineLength: 0))
        #expect(model.summaryText(lineLength: .max).count < 200_000)
    }

    // MARK: Gzip files that inflate without bound

    @Test func gzipInflationIsCapped() throws {
        let path = NSTemporaryDirectory() + "swiftkeras-bomb-\(UInt64.random(in: 0...UInt64.max)).gz"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 64 MiB of zeros compress to about 64 KiB.
        let file = try #require(gzopen(path, "wb9"))
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<64 { _ = zeros.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) } }
        #expect(gzclose(file) == Z_OK)
        let text = message { _ = try readPossiblyGzippedFile(path, maximumBytes: 1 << 24) }
        #expect(text.contains(path) && text.contains("more than 16777216 bytes"), "\(text)")
        #expect(try readPossiblyGzippedFile(path, maximumBytes: 1 << 26).count == 1 << 26)
    }
}
