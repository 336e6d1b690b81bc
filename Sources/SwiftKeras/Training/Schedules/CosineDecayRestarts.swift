import Glibc

/// Cosine decay with warm restarts (SGDR; Keras's `CosineDecayRestarts`): the first cycle
/// lasts `firstDecaySteps`, each next one `tMul` times longer and starting `mMul` times lower.
public struct CosineDecayRestarts: LearningRateSchedule, Sendable {
    public let initialLearningRate: Float
    public let firstDecaySteps: Int
    public let tMul: Float
    public let mMul: Float
    public let alpha: Float

    public init(initialLearningRate: Float, firstDecaySteps: Int, tMul: Float = 2, mMul: Float = 1, alpha: Float = 0) throws {
        try checkDecaySteps(firstDecaySteps, "first_decay_steps", schedule: "CosineDecayRestarts")
        self.initialLearningRate = initialLearningRate
        self.firstDecaySteps = firstDecaySteps
        self.tMul = tMul
        self.mMul = mMul
        self.alpha = alpha
    }

    public func callAsFunction(_ step: Int) -> Float {
        var fraction = Float(step) / Float(firstDecaySteps)
        let restart: Float
        if tMul == 1 {
            restart = floorf(fraction)
            fraction -= restart
        } else {
            restart = floorf(logf(1 - fraction * (1 - tMul)) / logf(tMul))
            let completedCycles = (1 - powf(tMul, restart)) / (1 - tMul)
            fraction = (fraction - completedCycles) / powf(tMul, restart)
        }
        let cosine = 0.5 * powf(mMul, restart) * (1 + cosf(Float.pi * fraction))
        return initialLearningRate * ((1 - alpha) * cosine + alpha)
    }
}
