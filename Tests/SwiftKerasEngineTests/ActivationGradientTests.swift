import Glibc
import Testing
@testable import SwiftKerasEngine

/// The activation ops against finite differences, on inputs kept away from their kinks.
@Suite struct ActivationGradientTests {
    static let ops: [(String, @Sendable (Tensor) -> Tensor)] = [
        ("elu", { $0.elu() }), ("elu alpha 0.5", { $0.elu(alpha: 0.5) }), ("selu", { $0.selu() }),
        ("celu", { $0.celu(alpha: 0.7) }), ("softplus", { $0.softplus() }), ("softsign", { $0.softsign() }),
        ("silu", { $0.silu() }), ("gelu", { $0.gelu() }), ("gelu tanh", { $0.gelu(approximate: true) }),
        ("leaky relu", { $0.leakyRelu(negativeSlope: 0.1) }), ("relu6", { $0.relu6() }),
        ("relu options", { $0.relu(negativeSlope: 0.2, maxValue: 1.5, threshold: 0.3) }),
        ("hard sigmoid", { $0.hardSigmoid() }), ("hard silu", { $0.hardSilu() }), ("log sigmoid", { $0.logSigmoid() }),
        ("mish", { $0.mish() }), ("tanh shrink", { $0.tanhShrink() }), ("hard tanh", { $0.hardTanh() }),
        ("soft shrink", { $0.softShrink() }), ("hard shrink", { $0.hardShrink() }), ("sparse plus", { $0.sparsePlus() }),
        ("squareplus", { $0.squareplus() }),
    ]

    @Test func everyActivationMatchesFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 31)
        // Values in [-4, 4] at least 0.05 from the kinks at 0, ±0.3, ±0.5, ±1, ±1.5, ±3, ±6.
        let kinks: [Float] = [0, 0.3, -0.3, 0.5, -0.5, 1, -1, 1.5, -1.5, 3, -3, 6, -6]
        let x = Tensor.randomUniform([4, 6], low: -4, high: 4, using: &rng).mapDetached { v in
            kinks.contains { Swift.abs(v - $0) < 0.05 } ? v + 0.11 : v
        }
        for (name, op) in Self.ops {
            let result = try checkGradients(at: [x], epsilon: 1e-3) { op($0[0]) }
            #expect(result.maxRelativeError < 2e-2, "\(name): \(result)")
        }
    }

    @Test func valuesAtKnownPoints() throws {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        func close(_ t: Tensor, _ expected: [Float], _ what: String) {
            #expect(zip(t.scalars, expected).allSatisfy { Swift.abs($0 - $1) < 1e-5 }, "\(what): \(t.scalars)")
        }
        close(x.elu(), [expm1f(-2), expm1f(-0.5), 0, 0.5, 2], "elu")
        close(x.relu6(), [0, 0, 0, 0.5, 2], "relu6")
        close(x.leakyRelu(), [-0.4, -0.1, 0, 0.5, 2], "leaky_relu")
        close(x.softsign(), [-2.0 / 3, -1.0 / 3, 0, 1.0 / 3, 2.0 / 3], "softsign")
        close(x.hardSigmoid(), [1.0 / 6, 2.5 / 6, 0.5, 3.5 / 6, 5.0 / 6], "hard_sigmoid")
        close(x.sparsePlus(), [0, 0.0625, 0.25, 0.5625, 2], "sparse_plus")
        close(x.gelu(), [-0.045_500_26, -0.154_268_58, 0, 0.345_731_42, 1.954_499_7], "gelu")
    }
}
