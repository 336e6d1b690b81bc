/// Adadelta (Zeiler), Keras's: per-weight step sizes from running averages of squared
/// gradients and squared updates, scaled by the learning rate.
public final class Adadelta: Optimizer {
    public let rho: Float
    public let epsilon: Float

    public init(learningRate: any LearningRateSchedule = 0.001, rho: Float = 0.95, epsilon: Float = 1e-7,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.rho = rho
        self.epsilon = epsilon
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    /// Slots: accumulated gradient, accumulated delta.
    public override var slotCount: Int { 2 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, r = rho, eps = epsilon
        let accumulatedGrad = slots[0], accumulatedDelta = slots[1]
        for i in 0..<count {
            accumulatedGrad[i] = r * accumulatedGrad[i] + (1 - r) * g[i] * g[i]
            let delta = -(accumulatedDelta[i] + eps).squareRoot() * g[i] / (accumulatedGrad[i] + eps).squareRoot()
            accumulatedDelta[i] = r * accumulatedDelta[i] + (1 - r) * delta * delta
            w[i] += lr * delta
        }
    }
}
