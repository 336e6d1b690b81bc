import Testing
@testable import SwiftKerasEngine

/// Batch and layer normalization: values against the textbook formulas, gradients against
/// finite differences.
@Suite struct NormalizationGradientTests {
    func check(_ result: GradientCheckResult, _ what: String, tolerance: Float = 2e-2) {
        #expect(result.maxRelativeError < tolerance, "\(what): \(result)")
    }

    @Test(arguments: [([4, 3], 1), ([2, 3, 4, 3], 3), ([2, 3, 4], 1), ([3, 5], 0)])
    func batchNormalizationTraining(shape: [Int], axis: Int) throws {
        var rng = RandomGenerator(seed: 21)
        let x = Tensor.randomNormal(shape, mean: 0.5, stddev: 2, using: &rng)
        let c = shape[axis]
        let gamma = Tensor.randomNormal([c], using: &rng), beta = Tensor.randomNormal([c], using: &rng)
        let (y, mean, variance) = try batchNormalization(training: x, scale: gamma, offset: beta, axis: axis, epsilon: 1e-3)
        // Against the formula, with moments from the engine's reductions.
        let others = (0..<shape.count).filter { $0 != axis }
        var keptShape = shape
        for a in others { keptShape[a] = 1 }
        let m = try x.mean(axes: others, keepDims: true)
        let v = try (x - m).squared().mean(axes: others, keepDims: true)
        #expect(zip(try m.reshaped([c]).scalars, mean.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
        #expect(zip(try v.reshaped([c]).scalars, variance.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
        let expected = try (x - m) / (v + 1e-3).sqrt() * gamma.reshaped(keptShape) + beta.reshaped(keptShape)
        #expect(zip(y.scalars, expected.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })

        check(try checkGradients(at: [x, gamma, beta], epsilon: 1e-2) {
            try batchNormalization(training: $0[0], scale: $0[1], offset: $0[2], axis: axis, epsilon: 1e-3).output
        }, "training \(shape) axis \(axis)")
        check(try checkGradients(at: [x]) {
            try batchNormalization(training: $0[0], scale: nil, offset: nil, axis: axis, epsilon: 1e-3).output
        }, "training without scale and offset")
    }

    @Test(arguments: [([4, 3], -1), ([2, 3, 2, 3], 1)])
    func batchNormalizationWithGivenStatistics(shape: [Int], axis: Int) throws {
        var rng = RandomGenerator(seed: 22)
        let x = Tensor.randomNormal(shape, using: &rng)
        let c = shape[axis < 0 ? axis + shape.count : axis]
        let mean = Tensor.randomNormal([c], using: &rng)
        let variance = Tensor.randomUniform([c], low: 0.5, high: 2, using: &rng)
        let gamma = Tensor.randomNormal([c], using: &rng), beta = Tensor.randomNormal([c], using: &rng)
        check(try checkGradients(at: [x, mean, variance, gamma, beta], epsilon: 1e-3) {
            try batchNormalization($0[0], mean: $0[1], variance: $0[2], scale: $0[3], offset: $0[4], axis: axis, epsilon: 1e-3)
        }, "given statistics \(shape)")
        check(try checkGradients(at: [x, mean, variance], epsilon: 1e-3) {
            try batchNormalization($0[0], mean: $0[1], variance: $0[2], scale: nil, offset: nil, axis: axis, epsilon: 1e-3)
        }, "given statistics, no scale or offset")
    }

    @Test(arguments: [([3, 5], 1), ([2, 3, 4], 1), ([2, 3, 4], 2)])
    func layerNormalizationMatchesItsFormula(shape: [Int], normalizedRank: Int) throws {
        var rng = RandomGenerator(seed: 23)
        let x = Tensor.randomNormal(shape, mean: 1, stddev: 2, using: &rng)
        let features = Array(shape.suffix(normalizedRank))
        let gamma = Tensor.randomNormal(features, using: &rng), beta = Tensor.randomNormal(features, using: &rng)
        let axes = Array((shape.count - normalizedRank)..<shape.count)
        let y = try layerNormalization(x, scale: gamma, offset: beta, normalizedRank: normalizedRank, epsilon: 1e-3)
        let m = try x.mean(axes: axes, keepDims: true)
        let v = try (x - m).squared().mean(axes: axes, keepDims: true)
        let expected = try (x - m) / (v + 1e-3).sqrt() * gamma + beta
        #expect(zip(y.scalars, expected.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
        check(try checkGradients(at: [x, gamma, beta], epsilon: 1e-2) {
            try layerNormalization($0[0], scale: $0[1], offset: $0[2], normalizedRank: normalizedRank, epsilon: 1e-3)
        }, "layer normalization \(shape)")
        check(try checkGradients(at: [x]) {
            try layerNormalization($0[0], scale: nil, offset: nil, normalizedRank: normalizedRank, epsilon: 1e-3)
        }, "layer normalization without scale and offset")
    }

    @Test func largeBatchesSplitOverTwoThreadsGiveTheSameStatistics() throws {
        // 256 x 8 x 8 x 16 values: above the two-thread threshold.
        var rng = RandomGenerator(seed: 24)
        let x = Tensor.randomNormal([256, 8, 8, 16], mean: 3, stddev: 0.5, using: &rng)
        let (_, mean, variance) = try batchNormalization(training: x, scale: nil, offset: nil, epsilon: 1e-3)
        let rows = try x.reshaped([256 * 64, 16])
        let m = try rows.mean(axes: [0])
        let v = try (rows - m).squared().mean(axes: [0])
        #expect(zip(m.scalars, mean.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
        #expect(zip(v.scalars, variance.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
    }

    @Test func badArgumentsThrow() {
        let x = Tensor.zeros([2, 3])
        #expect(throws: TensorError.self) { _ = try batchNormalization(training: x, scale: Tensor.ones([2]), offset: nil, epsilon: 1e-3) }
        #expect(throws: TensorError.self) { _ = try batchNormalization(training: x, scale: nil, offset: nil, axis: 2, epsilon: 1e-3) }
        #expect(throws: TensorError.self) { _ = try layerNormalization(x, scale: Tensor.ones([2]), offset: nil, epsilon: 1e-3) }
    }
}
