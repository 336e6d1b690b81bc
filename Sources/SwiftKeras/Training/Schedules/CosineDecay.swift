import Glibc

/// A cosine from the rate down to `alpha` times it over `decaySteps` (Keras's `CosineDecay`).
/// With `warmupTarget`, the rate first rises linearly from `initialLearningRate` to
/// `warmupTarget` over `warmupSteps`, then the cosine decays from `warmupTarget`.
public struct CosineDecay: LearningRateSchedule, Sendable {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let alpha: Float
    public let warmupTarget: Float?
    public let warmupSteps: Int

    public init(initialLearningRate: Float, decaySteps: Int, alpha: Float = 0, warmupTarget: Float? = nil,
                warmupSteps: Int = 0) throws {
        try checkDecaySteps(decaySteps, schedule: "CosineDecay")
        guard warmupSteps >= 0 else {
            throw KerasError.invalidArgument("CosineDecay: argument `warmup_steps` must be >= 0. Received: warmup_steps=\(warmupSteps)")
        }
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    private func decayed(_ step: Float, from rate: Float) -> Float {
        let cosine = 0.5 * (1 + cosf(Float.pi * (step / Float(decaySteps))))
        return rate * ((1 - alpha) * cosine + alpha)
    }

    public func callAsFunction(_ step: Int) -> Float {
        guard let warmupTarget else { return decayed(Swift.min(Float(step), Float(decaySteps)), from: initialLearningRate) }
        let warmup = Float(warmupSteps)
        let current = Swift.min(Float(step), Float(decaySteps) + warmup)
        if current < warmup {
            return (warmupTarget - initialLearningRate) * (current / warmup) + initialLearningRate
        }
        return decayed(current - warmup, from: warmupTarget)
    }
}
