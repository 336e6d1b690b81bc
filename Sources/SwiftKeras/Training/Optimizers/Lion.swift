/// Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms"), Keras's: the step is
/// lr·sign(beta1·m + (1 − beta1)·g); then m = beta2·m + (1 − beta2)·g.
public final class Lion: Optimizer {
    public let beta1: Float
    public let beta2: Float

    public init(learningRate: any LearningRateSchedule = 0.001, beta1: Float = 0.9, beta2: Float = 0.99,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    /// Slots: momentum.
    public override var slotCount: Int { 1 }

    public override func checkArguments() throws {
        try super.checkArguments()
        guard beta1 > 0, beta1 <= 1 else {
            throw KerasError.invalidArgument("Lion: beta_1 must be in (0, 1], received beta_1=\(beta1)")
        }
    }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, b1 = beta1, b2 = beta2
        let m = slots[0]
        for i in 0..<count {
            let c = m[i] * b1 + g[i] * (1 - b1)
            w[i] -= lr * (c > 0 ? 1 : (c < 0 ? -1 : 0))
            m[i] = m[i] * b2 + g[i] * (1 - b2)
        }
    }
}
