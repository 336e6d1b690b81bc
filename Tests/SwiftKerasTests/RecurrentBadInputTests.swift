import Testing
@testable import SwiftKeras

/// Wrong inputs to recurrent models give errors naming the layer and the shapes.
@Suite struct RecurrentBadInputTests {
    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func twoDimensionalInputIntoAnRNN() {
        let lstm = LSTM(4, name: "encoder")
        let text = message { _ = try lstm(Tensor.zeros([2, 5])) }
        #expect(text.contains("\"encoder\"") && text.contains("expected ndim=3") && text.contains("(None, 5)"))
    }

    @Test func tokenIdsAtOrAboveInputDim() throws {
        let model = Sequential([Embedding(10, 4, inputLength: 3, name: "tokens"), SimpleRNN(2), Dense(1, activation: .sigmoid)])
        model.compile(loss: .binaryCrossentropy, optimizer: Adam())
        let ids = try Tensor([1, 2, 3, 4, 10, 0], shape: [2, 3])
        let text = message { try model.fit(ids, Tensor.zeros([2]), verbose: 0) }
        #expect(text.contains("\"tokens\"") && text.contains("10.0") && text.contains("sample 1") && text.contains("[0, 10)"))
        let fractional = message { _ = try model.predict(try Tensor([1, 2.5, 3], shape: [1, 3])) }
        #expect(fractional.contains("2.5"))
    }

    @Test func initialStateOfTheWrongShape() {
        let lstm = LSTM(3, name: "decoder")
        let x = Tensor.zeros([2, 4, 5])
        let count = message { _ = try lstm.callWithStates(x, initialState: [Tensor.zeros([2, 3])]) }
        #expect(count.contains("\"decoder\"") && count.contains("2 tensor(s) of shape (2, 3)"))
        let shape = message { _ = try lstm.callWithStates(x, initialState: [Tensor.zeros([2, 4]), Tensor.zeros([2, 3])]) }
        #expect(shape.contains("(2, 4)"))
    }

    @Test func emptySequences() {
        let gru = GRU(3, name: "gru_layer")
        #expect(message { _ = try gru(Tensor.zeros([2, 0, 4])) }.contains("no timesteps"))
    }

    @Test func raggedBatchesMustBePadded() throws {
        #expect(message { _ = try Tensor([[1, 2, 3], [4]]) }.contains("different lengths"))
        let padded = try padSequences([[1, 2, 3], [4]])
        #expect(padded.shape == [2, 3] && padded.scalars == [1, 2, 3, 0, 0, 4])
    }

    @Test func recurrentActivationsMustBeElementwise() {
        let rnn = SimpleRNN(2, activation: .softmax, name: "odd")
        #expect(message { _ = try rnn(Tensor.zeros([1, 2, 2])) }.contains("cannot be used inside a recurrent cell"))
    }
}

@Suite struct BidirectionalMergeNoneTests {
    @Test func mergeNoneGivesBothDirections() throws {
        let layer = Bidirectional(LSTM(2), mergeMode: .none)
        let x = Tensor.randomNormal([2, 3, 4])
        let (forward, backward) = try layer.callSeparately(x)
        #expect(forward.shape == [2, 2] && backward.shape == [2, 2])
        do {
            _ = try layer(x)
            Issue.record("merge_mode none used as a single output did not throw")
        } catch {
            #expect("\(error)".contains("callSeparately"))
        }
        let concat = Bidirectional(LSTM(2), mergeMode: .concat)
        try concat.buildIfNeeded(inputShape: [3, 4])
        try concat.setWeights(layer.getWeights())
        #expect(try concat(x).scalars == (try concatenate([forward, backward])).scalars)
    }
}
