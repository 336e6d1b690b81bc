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
/// gradcheck), so custom ops and layers can be verified.
///
/// Checks the gradients with respect to `inputs` (passed to `f`) and to `variables` (read
/// by `f`, e.g. a layer's weights; perturbed in place and restored). `f` may return any
/// shape: the checked scalar is sum(f(x) * w) for a fixed random w, so every output
/// element's gradient path is exercised. Indices in the result count inputs, then variables.
public func checkGradients(
    at inputs: [Tensor], variables: [Variable] = [], epsilon: Float = 1e-2, seed: UInt64 = 7,
    _ f: ([Tensor]) throws -> Tensor
) throws -> GradientCheckResult {
    var rng = RandomGenerator(seed: seed)
    let probe = try withoutGradients { try f(inputs.map { $0.detached }) }
    let weights = Tensor.randomNormal(probe.shape, using: &rng)

    func scalar(_ xs: [Tensor]) throws -> Tensor { try (f(xs) * weights).sum() }

    let tracked = inputs.map { $0.trackingGradients() }
    let objective = try scalar(tracked)
    let analytic = try gradients(of: objective, wrt: tracked) + gradients(of: objective, wrt: variables)

    // Each checked value, with a way to nudge it and the plain inputs to evaluate at.
    var worst: Float = 0, worstInput = 0, worstElement = 0
    func compare(_ index: Int, _ element: Int, _ numeric: Float) {
        let error = Swift.abs(analytic[index].storage.pointer[element] - numeric) / Swift.max(1, Swift.abs(numeric))
        if error > worst { worst = error; worstInput = index; worstElement = element }
    }
    let plain = inputs.map { $0.detached }
    for (i, input) in inputs.enumerated() {
        for e in 0..<input.count {
            var plus = plain, minus = plain
            plus[i].withMutableData { $0[e] += epsilon }
            minus[i].withMutableData { $0[e] -= epsilon }
            let numeric = try withoutGradients { (try scalar(plus).item - scalar(minus).item) / (2 * epsilon) }
            compare(i, e, numeric)
        }
    }
    for (v, variable) in variables.enumerated() {
        for e in 0..<variable.shape.reduce(1, *) {
            variable.update { p, _ in p[e] += epsilon }
            let up = try withoutGradients { try scalar(plain).item }
            variable.update { p, _ in p[e] -= 2 * epsilon }
            let down = try withoutGradients { try scalar(plain).item }
            variable.update { p, _ in p[e] += epsilon }
            compare(inputs.count + v, e, (up - down) / (2 * epsilon))
        }
    }
    return GradientCheckResult(maxRelativeError: worst, worstInput: worstInput, worstElement: worstElement)
}
