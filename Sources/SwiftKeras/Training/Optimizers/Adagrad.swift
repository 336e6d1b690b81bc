/// Adagrad with Keras's defaults (accumulator starts at 0.1).
public final class Adagrad: Optimizer {
    public let initialAccumulatorValue: Float
    public let epsilon: Float

    public init(learningRate: any LearningRateSchedule = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }

    public override var slotCount: Int { 1 }
    public override var initialSlotValue: Float { initialAccumulatorValue }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, eps = epsilon, acc = slots[0]
        for i in 0..<count {
            acc[i] += g[i] * g[i]
            w[i] -= lr * g[i] / (acc[i] + eps).squareRoot()
        }
    }
}
