import Testing
@testable import SwiftKerasEngine

/// The ops behind the newer layers against finite differences: dilated, transposed and
/// depthwise convolutions, padding and cropping, and the global-pooling reductions.
@Suite struct LayerOpsGradientTests {
    func check(_ result: GradientCheckResult, _ what: String, tolerance: Float = 2e-2,
               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.maxRelativeError < tolerance, "\(what): \(result)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ([2, 8, 7, 2], [3, 3, 2, 3], (1, 1), Padding.valid, (2, 2)),
        ([2, 7, 7, 2], [3, 3, 2, 3], (1, 1), Padding.same, (2, 2)),
        ([1, 6, 9, 3], [2, 3, 3, 2], (1, 1), Padding.same, (2, 3)),
        ([2, 1, 11, 2], [1, 3, 2, 4], (1, 1), Padding.valid, (1, 3)),
    ])
    func dilatedConvolution(inputShape: [Int], kernelShape: [Int], strides: (Int, Int), padding: Padding,
                            dilations: (Int, Int)) throws {
        var rng = RandomGenerator(seed: 51)
        let x = Tensor.randomNormal(inputShape, using: &rng), k = Tensor.randomNormal(kernelShape, using: &rng)
        let b = Tensor.randomNormal([kernelShape[3]], using: &rng)
        check(try checkGradients(at: [x, k, b]) {
            try conv2d($0[0], kernel: $0[1], bias: $0[2], strides: strides, padding: padding, dilations: dilations)
        }, "dilated conv \(inputShape) \(dilations)")
        // A dilated kernel equals the plain convolution with a kernel that has zeros between its taps.
        let (kh, kw, c, f) = (kernelShape[0], kernelShape[1], kernelShape[2], kernelShape[3])
        let (sh, sw) = ((kh - 1) * dilations.0 + 1, (kw - 1) * dilations.1 + 1)
        var spread = Tensor.zeros([sh, sw, c, f])
        spread.withMutableData { p in
            for i in 0..<kh { for j in 0..<kw { for ch in 0..<(c * f) {
                p[((i * dilations.0) * sw + j * dilations.1) * c * f + ch] = k.scalars[(i * kw + j) * c * f + ch]
            } } }
        }
        let dilated = try conv2d(x, kernel: k, bias: b, strides: strides, padding: padding, dilations: dilations)
        let plain = try conv2d(x, kernel: spread, bias: b, strides: strides, padding: padding)
        #expect(dilated.shape == plain.shape)
        #expect(zip(dilated.scalars, plain.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
    }

    @Test(arguments: [
        ([2, 4, 5, 2], [3, 3, 3, 2], (1, 1), Padding.valid, Optional<(Int, Int)>.none, (1, 1)),
        ([2, 3, 4, 3], [3, 3, 2, 3], (2, 2), Padding.same, Optional<(Int, Int)>.none, (1, 1)),
        ([2, 3, 3, 2], [3, 3, 2, 2], (2, 2), Padding.valid, Optional((1, 1)), (1, 1)),
        ([1, 3, 4, 2], [3, 2, 3, 2], (2, 1), Padding.same, Optional<(Int, Int)>.none, (1, 1)),
        ([2, 4, 4, 2], [3, 3, 2, 2], (1, 1), Padding.valid, Optional<(Int, Int)>.none, (2, 2)),
    ])
    func transposedConvolution(inputShape: [Int], kernelShape: [Int], strides: (Int, Int), padding: Padding,
                               outputPadding: (Int, Int)?, dilations: (Int, Int)) throws {
        var rng = RandomGenerator(seed: 52)
        let x = Tensor.randomNormal(inputShape, using: &rng), k = Tensor.randomNormal(kernelShape, using: &rng)
        let b = Tensor.randomNormal([kernelShape[2]], using: &rng)
        check(try checkGradients(at: [x, k, b]) {
            try conv2dTranspose($0[0], kernel: $0[1], bias: $0[2], strides: strides, padding: padding,
                                outputPadding: outputPadding, dilations: dilations)
        }, "transposed conv \(inputShape) strides \(strides)")
    }

    @Test func transposedConvolutionIsTheAdjointOfConvolution() throws {
        // <conv(x), y> = <x, convT(y)> for the same kernel, strides and padding.
        var rng = RandomGenerator(seed: 53)
        let x = Tensor.randomNormal([2, 7, 6, 3], using: &rng), k = Tensor.randomNormal([3, 3, 3, 4], using: &rng)
        let y = try conv2d(x, kernel: k, bias: nil, strides: (2, 2), padding: .same)
        let probe = Tensor.randomNormal(y.shape, using: &rng)
        let back = try conv2dTranspose(probe, kernel: k, bias: nil, strides: (2, 2), padding: .same, outputPadding: (0, 1))
        #expect(back.shape == x.shape)
        let left = try (y * probe).sum().item, right = try (x * back).sum().item
        #expect(Swift.abs(left - right) < 1e-3 * Swift.max(1, Swift.abs(left)))
    }

    @Test(arguments: [
        ([2, 6, 5, 3], [3, 3, 3, 1], (1, 1), Padding.valid, (1, 1)),
        ([2, 5, 5, 2], [3, 3, 2, 2], (1, 1), Padding.same, (1, 1)),
        ([1, 7, 6, 3], [3, 2, 3, 2], (2, 2), Padding.same, (1, 1)),
        ([1, 7, 7, 2], [3, 3, 2, 1], (1, 1), Padding.valid, (2, 2)),
    ])
    func depthwiseConvolution(inputShape: [Int], kernelShape: [Int], strides: (Int, Int), padding: Padding,
                              dilations: (Int, Int)) throws {
        var rng = RandomGenerator(seed: 54)
        let x = Tensor.randomNormal(inputShape, using: &rng), k = Tensor.randomNormal(kernelShape, using: &rng)
        let b = Tensor.randomNormal([kernelShape[2] * kernelShape[3]], using: &rng)
        check(try checkGradients(at: [x, k, b]) {
            try depthwiseConv2d($0[0], kernel: $0[1], bias: $0[2], strides: strides, padding: padding, dilations: dilations)
        }, "depthwise conv \(inputShape)")
    }

    @Test func paddingCroppingAndReductions() throws {
        var rng = RandomGenerator(seed: 55)
        let x = Tensor.randomNormal([2, 3, 4, 2], using: &rng)
        check(try checkGradients(at: [x]) { try $0[0].zeroPadded([(0, 0), (1, 2), (0, 3)]) }, "zero padding")
        check(try checkGradients(at: [x]) { try $0[0].cropped([(0, 0), (1, 0), (1, 2)]) }, "cropping")
        let padded = try x.zeroPadded([(0, 0), (1, 2), (3, 0)])
        #expect(padded.shape == [2, 6, 7, 2])
        #expect(try padded.cropped([(0, 0), (1, 2), (3, 0)]).scalars == x.scalars)
        let sequence = Tensor.randomNormal([3, 5, 4], using: &rng)
        check(try checkGradients(at: [sequence], epsilon: 1e-3) { try $0[0].max(alongAxis: 1) }, "max along steps")
        check(try checkGradients(at: [sequence], epsilon: 1e-3) { try $0[0].max(alongAxis: -1, keepDims: true) }, "max along channels")
        check(try checkGradients(at: [sequence]) { try $0[0].mean(alongAxis: 1) }, "mean along steps")
        let weights = try Tensor([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], shape: [3, 5])
        check(try checkGradients(at: [sequence]) { try $0[0].mean(alongAxis: 1, weights: weights) }, "masked mean")
        // The masked mean: the second row is masked entirely and gives zeros.
        let masked = try sequence.mean(alongAxis: 1, weights: weights)
        #expect(masked.scalars[4..<8].allSatisfy { $0 == 0 })
        let values = sequence.scalars
        let firstRow: [Float] = (0..<4).map { c in
            let sum: Float = values[c] + values[4 + c] + values[12 + c]
            return sum / 3
        }
        #expect(zip(masked.scalars[0..<4], firstRow).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func batchedMatmul(transposeA: Bool, transposeB: Bool) throws {
        var rng = RandomGenerator(seed: 53)
        let (batch, m, k, n) = (3, 4, 5, 2)
        let a = Tensor.randomNormal(transposeA ? [batch, k, m] : [batch, m, k], using: &rng)
        let b = Tensor.randomNormal(transposeB ? [batch, n, k] : [batch, k, n], using: &rng)
        check(try checkGradients(at: [a, b]) {
            try SwiftKerasEngine.batchedMatmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB)
        }, "batched matmul transposeA \(transposeA) transposeB \(transposeB)")
        // Each product against a plain triple loop.
        let c = try SwiftKerasEngine.batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(c.shape == [batch, m, n])
        let (pa, pb, pc) = (a.scalars, b.scalars, c.scalars)
        for i in 0..<batch { for r in 0..<m { for col in 0..<n {
            var sum: Float = 0
            for j in 0..<k {
                let x = transposeA ? pa[i * k * m + j * m + r] : pa[i * m * k + r * k + j]
                let y = transposeB ? pb[i * n * k + col * k + j] : pb[i * k * n + j * n + col]
                sum += x * y
            }
            #expect(Swift.abs(pc[i * m * n + r * n + col] - sum) < 1e-4)
        } } }
        #expect(throws: TensorError.self) { try SwiftKerasEngine.batchedMatmul(a, a.reshaped([batch, -1, 1])) }
    }
}
