import Testing
@testable import SwiftKerasEngine

/// The hand-written backward pass through time of every recurrent cell, against finite differences.
@Suite struct RecurrentGradientTests {
    static let cells: [RecurrentCell] = [
        .simple(activation: .tanh),
        .lstm(activation: .tanh, recurrentActivation: .sigmoid),
        .gru(activation: .tanh, recurrentActivation: .sigmoid, resetAfter: true),
        .gru(activation: .tanh, recurrentActivation: .sigmoid, resetAfter: false),
    ]

    /// Everything the op returns, flattened into one tensor.
    func allOutputs(_ r: RecurrentResult) throws -> Tensor {
        try concatenate([r.sequence.reshaped([-1])] + r.states.map { try $0.reshaped([-1]) })
    }

    /// An input (batch, steps, features) and the cell's kernel, recurrent kernel and bias.
    func randomInputAndWeights(_ cell: RecurrentCell, batch: Int, steps: Int, features: Int, units: Int,
                               using rng: inout RandomGenerator) -> (Tensor, Tensor, Tensor, Tensor) {
        (Tensor.randomNormal([batch, steps, features], using: &rng),
         Tensor.randomNormal([features, cell.gateCount * units], stddev: 0.5, using: &rng),
         Tensor.randomNormal([units, cell.gateCount * units], stddev: 0.5, using: &rng),
         Tensor.randomNormal(cell.biasShape(units: units), stddev: 0.5, using: &rng))
    }

    @Test(arguments: cells, [false, true])
    func gradients(cell: RecurrentCell, goBackwards: Bool) throws {
        var rng = RandomGenerator(seed: 9)
        let (n, t, d, u) = (2, 4, 3, 3)
        let (x, w, rw, b) = randomInputAndWeights(cell, batch: n, steps: t, features: d, units: u, using: &rng)
        let states = (0..<cell.stateCount).map { _ in Tensor.randomNormal([n, u], stddev: 0.5, using: &rng) }
        let result = try checkGradients(at: [x, w, rw, b] + states, epsilon: 1e-2) { v in
            try allOutputs(recurrent(v[0], kernel: v[1], recurrentKernel: v[2], bias: v[3], cell: cell,
                                     initialStates: Array(v[4...]), goBackwards: goBackwards))
        }
        #expect(result.maxRelativeError < 2e-2, "\(cell) goBackwards=\(goBackwards): \(result)")
    }

    @Test(arguments: cells)
    func gradientsWithMaskAndRecurrentDropout(cell: RecurrentCell) throws {
        var rng = RandomGenerator(seed: 10)
        let (n, t, d, u) = (3, 5, 2, 2)
        let (x, w, rw, b) = randomInputAndWeights(cell, batch: n, steps: t, features: d, units: u, using: &rng)
        // Pre-padding (leading zeros) and post-padding rows, as pad_sequences makes them.
        let mask = try Tensor([1, 1, 1, 1, 1,
                               0, 0, 1, 1, 1,
                               1, 1, 0, 0, 0], shape: [n, t])
        let dropMask = try Tensor([1.25, 0, 1.25, 1.25, 0, 1.25], shape: [n, u])
        let result = try checkGradients(at: [x, w, rw, b], epsilon: 1e-2) { v in
            try allOutputs(recurrent(v[0], kernel: v[1], recurrentKernel: v[2], bias: v[3], cell: cell,
                                     mask: mask, recurrentDropoutMask: dropMask))
        }
        #expect(result.maxRelativeError < 2e-2, "\(cell) masked: \(result)")
    }

    /// A batch large enough to run in several chunks of rows (each with its own weight-gradient
    /// sums, added in chunk order) gives, row for row, the outputs and, summed over rows, the
    /// gradients of batches of one.
    @Test(arguments: cells)
    func chunkedBatchesMatchRowByRow(cell: RecurrentCell) throws {
        var rng = RandomGenerator(seed: 12)
        let (n, t, d, u) = (9, 16, 2, 32)
        let (x, w, rw, b) = randomInputAndWeights(cell, batch: n, steps: t, features: d, units: u, using: &rng)
        let rwSmall = rw * 0.2
        let mask = Tensor.randomUniform([n, t], using: &rng).mapDetached { $0 < 0.25 ? 0 : 1 }
        #expect(recurrentRowChunking(cell: cell, batch: n, steps: t, units: u).count > 1)
        func run(_ rows: Range<Int>) throws -> (outputs: [Float], gradients: [[Float]]) {
            let weights = [w, rwSmall, b].map { $0.trackingGradients() }
            let r = try recurrent(try x.slice(rows: rows), kernel: weights[0], recurrentKernel: weights[1],
                                  bias: weights[2], cell: cell, mask: try mask.slice(rows: rows))
            let outputs = try allOutputs(r)
            return (r.sequence.scalars, try SwiftKerasEngine.gradients(of: try outputs.sum(), wrt: weights).map(\.scalars))
        }
        let whole = try run(0..<n)
        var summed = whole.gradients.map { [Float](repeating: 0, count: $0.count) }
        for row in 0..<n {
            let single = try run(row..<(row + 1))
            let part = Array(whole.outputs[(row * t * u)..<((row + 1) * t * u)])
            #expect(zip(single.outputs, part).allSatisfy { Swift.abs($0 - $1) < 1e-5 }, "\(cell) row \(row)")
            for k in summed.indices { for i in summed[k].indices { summed[k][i] += single.gradients[k][i] } }
        }
        for k in summed.indices {
            let worst = zip(summed[k], whole.gradients[k]).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
            #expect(worst < 1e-4, "\(cell) gradient \(k): \(worst)")
        }
    }

    @Test func maskedStepsCarryTheState() throws {
        let cell = RecurrentCell.lstm(activation: .tanh, recurrentActivation: .sigmoid)
        var rng = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal([1, 3, 2], using: &rng)
        let r = try recurrent(x, kernel: Tensor.randomNormal([2, 8], using: &rng), recurrentKernel: Tensor.randomNormal([2, 8], using: &rng),
                              bias: nil, cell: cell, mask: try Tensor([1, 0, 0], shape: [1, 3]))
        let seq = r.sequence.scalars
        #expect(Array(seq[0..<2]) == Array(seq[2..<4]))
        #expect(Array(seq[0..<2]) == r.lastOutput.scalars)
    }

    @Test func badShapesThrow() throws {
        let cell = RecurrentCell.simple(activation: .tanh)
        #expect(throws: TensorError.self) {
            _ = try recurrent(Tensor.zeros([2, 3]), kernel: Tensor.zeros([3, 2]), recurrentKernel: Tensor.zeros([2, 2]), bias: nil, cell: cell)
        }
        #expect(throws: TensorError.self) {
            _ = try recurrent(Tensor.zeros([2, 0, 3]), kernel: Tensor.zeros([3, 2]), recurrentKernel: Tensor.zeros([2, 2]), bias: nil, cell: cell)
        }
        #expect(throws: TensorError.self) {
            _ = try recurrent(Tensor.zeros([2, 4, 3]), kernel: Tensor.zeros([3, 2]), recurrentKernel: Tensor.zeros([2, 2]), bias: nil,
                              cell: cell, initialStates: [Tensor.zeros([3, 2])])
        }
    }

    @Test func concatenateReverseAndEmbeddingGradients() throws {
        var rng = RandomGenerator(seed: 4)
        let a = Tensor.randomNormal([2, 3, 2], using: &rng), b = Tensor.randomNormal([2, 3, 1], using: &rng)
        #expect(try checkGradients(at: [a, b]) { try concatenate($0) }.maxRelativeError < 2e-2)
        #expect(try checkGradients(at: [a, a]) { try concatenate($0, axis: 1) }.maxRelativeError < 2e-2)
        #expect(try checkGradients(at: [a]) { try $0[0].reversedTime() }.maxRelativeError < 2e-2)
        let ids = try Tensor([0, 2, 2, 1], shape: [2, 2])
        #expect(try checkGradients(at: [Tensor.randomNormal([3, 2], using: &rng)]) { try embeddingLookup($0[0], ids: ids) }.maxRelativeError < 2e-2)
        #expect(throws: TensorError.self) { _ = try embeddingLookup(Tensor.zeros([3, 2]), ids: try Tensor([3], shape: [1])) }
    }
}
