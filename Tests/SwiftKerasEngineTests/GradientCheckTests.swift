import Testing
@testable import SwiftKerasEngine

/// Every differentiable op against central finite differences.
@Suite struct GradientCheckTests {
    var rng = RandomGenerator(seed: 1)

    mutating func random(_ shape: [Int], low: Float = -1, high: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    func expectClose(_ result: GradientCheckResult, _ tolerance: Float = 2e-2, _ comment: Comment? = nil) {
        #expect(result.maxRelativeError < tolerance, "\(result) \(comment?.rawValue ?? "")")
    }

    @Test mutating func broadcastingArithmetic() throws {
        let a = random([2, 3, 4]), b = random([3, 1]), c = random([4]), s = random([])
        expectClose(try checkGradients(at: [a, b]) { try $0[0] + $0[1] })
        expectClose(try checkGradients(at: [a, c]) { try $0[0] - $0[1] })
        expectClose(try checkGradients(at: [a, b]) { try $0[0] * $0[1] })
        expectClose(try checkGradients(at: [a, s]) { try $0[0] * $0[1] })
        let positive = random([3, 1], low: 0.5, high: 2)
        expectClose(try checkGradients(at: [a, positive]) { try $0[0] / $0[1] })
        expectClose(try checkGradients(at: [positive]) { 2 / $0[0] })
        expectClose(try checkGradients(at: [a]) { -$0[0] + 3 })
    }

    @Test mutating func unaryFunctions() throws {
        let x = random([3, 5])
        let positive = random([3, 5], low: 0.5, high: 2)
        expectClose(try checkGradients(at: [x]) { $0[0].exp() })
        expectClose(try checkGradients(at: [positive], epsilon: 1e-3) { $0[0].log() })
        expectClose(try checkGradients(at: [positive], epsilon: 1e-3) { $0[0].sqrt() })
        expectClose(try checkGradients(at: [x]) { $0[0].squared() })
        expectClose(try checkGradients(at: [x]) { $0[0].tanh() })
        expectClose(try checkGradients(at: [x]) { $0[0].sigmoid() })
        // Keep inputs away from the kinks of relu, abs and clip.
        let awayFromZero = x.mapDetached { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        expectClose(try checkGradients(at: [awayFromZero], epsilon: 1e-3) { $0[0].relu() })
        expectClose(try checkGradients(at: [awayFromZero], epsilon: 1e-3) { $0[0].abs() })
        expectClose(try checkGradients(at: [awayFromZero * 2], epsilon: 1e-3) { $0[0].clipped(min: -0.5, max: 0.5) })
    }

    @Test mutating func reductions() throws {
        let x = random([2, 3, 4])
        expectClose(try checkGradients(at: [x]) { try $0[0].sum() })
        expectClose(try checkGradients(at: [x]) { try $0[0].sum(axes: [0]) })
        expectClose(try checkGradients(at: [x]) { try $0[0].sum(axes: [1], keepDims: true) })
        expectClose(try checkGradients(at: [x]) { try $0[0].sum(axes: [-1]) })
        expectClose(try checkGradients(at: [x]) { try $0[0].mean(axes: [0, 2]) })
        expectClose(try checkGradients(at: [x], epsilon: 1e-3) { $0[0].maxLastAxis() })
    }

    @Test mutating func softmaxFamily() throws {
        let x = random([3, 5], low: -2, high: 2)
        expectClose(try checkGradients(at: [x], epsilon: 1e-3) { $0[0].softmax() })
        expectClose(try checkGradients(at: [x], epsilon: 1e-3) { $0[0].logSoftmax() })
    }

    @Test mutating func shapeOps() throws {
        let x = random([2, 3, 4])
        expectClose(try checkGradients(at: [x]) { try $0[0].reshaped([6, -1]) })
        expectClose(try checkGradients(at: [x]) { try $0[0].transposed([2, 0, 1]) })
        expectClose(try checkGradients(at: [x]) { try $0[0].transposed() })
        expectClose(try checkGradients(at: [x]) { try $0[0].slice(rows: 1..<2) })
        expectClose(try checkGradients(at: [x]) { try $0[0].gather(rows: [1, 0, 1]) })
    }

    @Test mutating func matmulAndAffine() throws {
        let x = random([4, 3]), w = random([3, 5]), b = random([5]), x3 = random([2, 4, 3])
        expectClose(try checkGradients(at: [x, w]) { try $0[0].matmul($0[1]) })
        expectClose(try checkGradients(at: [x, w, b]) { try affine($0[0], $0[1], bias: $0[2]) })
        expectClose(try checkGradients(at: [x3, w, b]) { try affine($0[0], $0[1], bias: $0[2]) })
    }

    @Test(arguments: [
        ([2, 7, 7, 3], [3, 3, 3, 4], (1, 1), Padding.valid),
        ([2, 7, 7, 3], [3, 3, 3, 4], (1, 1), Padding.same),
        ([1, 8, 6, 2], [4, 4, 2, 3], (2, 2), Padding.same),
        ([1, 7, 5, 2], [3, 2, 2, 3], (2, 1), Padding.valid),
        ([2, 6, 6, 1], [5, 5, 1, 2], (1, 1), Padding.same),
    ])
    func convolution(inputShape: [Int], kernelShape: [Int], strides: (Int, Int), padding: Padding) throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal(inputShape, using: &rng)
        let k = Tensor.randomNormal(kernelShape, using: &rng)
        let b = Tensor.randomNormal([kernelShape[3]], using: &rng)
        let result = try checkGradients(at: [x, k, b]) { try conv2d($0[0], kernel: $0[1], bias: $0[2], strides: strides, padding: padding) }
        #expect(result.maxRelativeError < 2e-2, "\(result)")

        // The fused ReLU gives exactly conv2d(...).relu(): values and all three gradients.
        let (vx, vk, vb) = (Variable(x, name: "x"), Variable(k, name: "k"), Variable(b, name: "b"))
        let fused = try conv2d(vx.value, kernel: vk.value, bias: vb.value, strides: strides, padding: padding, relu: true)
        let separate = try conv2d(vx.value, kernel: vk.value, bias: vb.value, strides: strides, padding: padding).relu()
        #expect(fused.scalars == separate.scalars)
        let weights = Tensor.randomNormal(fused.shape, using: &rng)
        let fusedGradients = try gradients(of: (fused * weights).sum(), wrt: [vx, vk, vb])
        let separateGradients = try gradients(of: (separate * weights).sum(), wrt: [vx, vk, vb])
        for (a, b) in zip(fusedGradients, separateGradients) { #expect(a.scalars == b.scalars) }
    }

    @Test(arguments: [
        ((2, 2), (2, 2), Padding.valid),
        ((3, 3), (2, 2), Padding.same),
        ((2, 2), (1, 1), Padding.valid),
        ((3, 2), (3, 2), Padding.valid),
    ])
    func pooling(pool: (Int, Int), strides: (Int, Int), padding: Padding) throws {
        var rng = RandomGenerator(seed: 4)
        let x = Tensor.randomNormal([2, 7, 7, 2], using: &rng)
        let maxResult = try checkGradients(at: [x], epsilon: 1e-3) { try maxPool2d($0[0], poolSize: pool, strides: strides, padding: padding) }
        #expect(maxResult.maxRelativeError < 2e-2, "max pool: \(maxResult)")
        let avgResult = try checkGradients(at: [x]) { try averagePool2d($0[0], poolSize: pool, strides: strides, padding: padding) }
        #expect(avgResult.maxRelativeError < 2e-2, "average pool: \(avgResult)")
    }

    @Test func gradientsAccumulateOverSharedInputs() throws {
        let x = try Tensor([1, 2, 3], shape: [3]).trackingGradients()
        let y = try (x * x + x).sum()
        let g = try gradients(of: y, wrt: [x])[0]
        #expect(g.scalars == [3, 5, 7])
    }

    @Test func maxPoolingTiesGoToTheFirstCell() throws {
        // 2x2 windows over 20 channels (16 + a masked 4): equal values everywhere, so every
        // window's gradient goes to its first (top-left) cell, on either kernel path.
        let x = Variable(Tensor.ones([2, 4, 4, 20]), name: "x")
        let pooled = try maxPool2d(x.value, poolSize: (2, 2), strides: (2, 2), padding: .valid)
        #expect(pooled.scalars.allSatisfy { $0 == 1 })
        let grad = try gradients(of: pooled.sum(), wrt: [x])[0].scalars
        for n in 0..<2 { for h in 0..<4 { for w in 0..<4 { for c in 0..<20 {
            let expected: Float = h % 2 == 0 && w % 2 == 0 ? 1 : 0
            #expect(grad[((n * 4 + h) * 4 + w) * 20 + c] == expected)
        } } } }
    }
}
