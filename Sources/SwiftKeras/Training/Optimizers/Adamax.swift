import Glibc

/// Adamax (Kingma & Ba), Adam under the infinity norm: u = max(beta2·u, |g|).
public final class Adamax: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float

    public init(learningRate: any LearningRateSchedule = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    /// Slots: momentum, norm.
    public override var slotCount: Int { 2 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let correction = 1 - powf(b1, Float(step))
        let m = slots[0], u = slots[1]
        for i in 0..<count {
            m[i] += (g[i] - m[i]) * (1 - b1)
            u[i] = Swift.max(b2 * u[i], Swift.abs(g[i]))
            w[i] -= lr * m[i] / (correction * (u[i] + eps))
        }
    }
}
