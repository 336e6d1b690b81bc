/// RMSprop with Keras's defaults, optional momentum and centering.
public final class RMSprop: Optimizer {
    public let rho: Float
    public let momentum: Float
    public let epsilon: Float
    public let centered: Bool

    public init(learningRate: any LearningRateSchedule = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                centered: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    /// Slots: velocity, then momentum buffer and mean gradient when used.
    public override var slotCount: Int { 3 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, r = rho, eps = epsilon, mom = momentum
        let velocity = slots[0], buffer = slots[1], meanGrad = slots[2]
        for i in 0..<count {
            velocity[i] = r * velocity[i] + (1 - r) * g[i] * g[i]
            var denominator = velocity[i]
            if centered {
                meanGrad[i] = r * meanGrad[i] + (1 - r) * g[i]
                denominator -= meanGrad[i] * meanGrad[i]
            }
            let increment = lr * g[i] / (denominator + eps).squareRoot()
            if mom > 0 {
                buffer[i] = mom * buffer[i] + increment
                w[i] -= buffer[i]
            } else {
                w[i] -= increment
            }
        }
    }
}
