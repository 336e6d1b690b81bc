/// Stochastic gradient descent with optional (Nesterov) momentum, Keras 3's update rule:
/// v = momentum·v − lr·g; w += v (plain) or w += momentum·v − lr·g (Nesterov).
public final class SGD: Optimizer {
    public let momentum: Float
    public let nesterov: Bool

    public init(learningRate: any LearningRateSchedule = 0.01, momentum: Float = 0, nesterov: Bool = false,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    public override var slotCount: Int { momentum > 0 ? 1 : 0 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, m = momentum
        guard m > 0 else {
            for i in 0..<count { w[i] -= lr * g[i] }
            return
        }
        let v = slots[0]
        if nesterov {
            for i in 0..<count { v[i] = m * v[i] - lr * g[i]; w[i] += m * v[i] - lr * g[i] }
        } else {
            for i in 0..<count { v[i] = m * v[i] - lr * g[i]; w[i] += v[i] }
        }
    }
}
