import Glibc

/// Adam with Nesterov momentum (Dozat), Keras's Nadam with its momentum schedule
/// u_t = beta1·(1 − ½·0.96^t) and their running product.
public final class Nadam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Π u_t over the steps so far (Keras's `u_product` variable).
    var uProduct: Float = 1

    public init(learningRate: any LearningRateSchedule = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    /// Slots: momentum, velocity.
    public override var slotCount: Int { 2 }

    public override var scalarState: [Float] {
        get { [uProduct] }
        set { uProduct = newValue.first ?? 1 }
    }

    private func momentumSchedule(_ step: Int) -> Float { beta1 * (1 - 0.5 * powf(0.96, Float(step))) }

    public override func prepareStep(_ step: Int) { uProduct *= momentumSchedule(step) }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let u = momentumSchedule(step), uNext = momentumSchedule(step + 1)
        let product = uProduct, productNext = uProduct * uNext
        let b2Power = powf(b2, Float(step))
        let m = slots[0], v = slots[1]
        for i in 0..<count {
            m[i] += (g[i] - m[i]) * (1 - b1)
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
            let mHat = uNext * m[i] / (1 - productNext) + (1 - u) * g[i] / (1 - product)
            let vHat = v[i] / (1 - b2Power)
            w[i] -= mHat * lr / (vHat.squareRoot() + eps)
        }
    }
}
