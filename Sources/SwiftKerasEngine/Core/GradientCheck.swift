/// How far the tape's gradients are from central finite differences.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// Largest |analytic - numeric| / max(1, |numeric|) over all checked elements.
    public let maxRelativeError: Float
    /// Where it occurred: input index and flat element index.
    public let worstInput: Int
    public let worstElement: Int

    public var description: String {
        "max relative error \(maxRelativeError) at input \(worstInput), element \(worstElement)"
    }
}

/// Compares reverse-mode gradients of `f` against central differences (like PyTorch's
/// gradcheck), so custom ops can be verified.
///
/// `f` may return any shape: the checked scalar is sum(f(x) * w) for a fixed random w, so
/// every output element's gradient path is exercised.
public func checkGradients(
    at inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 7,
    _ f: ([Tensor]) throws -> Tensor
) throws -> GradientCheckResult {
    var rng = RandomGenerator(seed: seed)
    let probe = try f(inputs.map { $0.detached })
    let weights = Tensor.randomNormal(probe.shape, using: &rng)

    func scalar(_ xs: [Tensor]) throws -> Tensor { try (f(xs) * weights).sum() }

    let tracked = inputs.map { $0.trackingGradients() }
    let analytic = try gradients(of: scalar(tracked), wrt: tracked)

    var worst: Float = 0, worstInput = 0, worstElement = 0
    for (i, input) in inputs.enumerated() {
        for e in 0..<input.count {
            var plus = inputs.map { $0.detached }, minus = plus
            plus[i].withMutableData { $0[e] += epsilon }
            minus[i].withMutableData { $0[e] -= epsilon }
            let numeric = try withoutGradients { (try scalar(plus).item - scalar(minus).item) / (2 * epsilon) }
            let error = Swift.abs(analytic[i].storage.pointer[e] - numeric) / Swift.max(1, Swift.abs(numeric))
            if error > worst { worst = error; worstInput = i; worstElement = e }
        }
    }
    return GradientCheckResult(maxRelativeError: worst, worstInput: worstInput, worstElement: worstElement)
}
