import Glibc

/// (initial − end) · (1 − step / decaySteps)^power + end, held at `endLearningRate` after
/// `decaySteps`, or with `cycle` restarting over multiples of decaySteps (Keras's
/// `PolynomialDecay`).
public struct PolynomialDecay: LearningRateSchedule, Sendable {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let endLearningRate: Float
    public let power: Float
    public let cycle: Bool

    public init(initialLearningRate: Float, decaySteps: Int, endLearningRate: Float = 0.0001, power: Float = 1,
                cycle: Bool = false) throws {
        try checkDecaySteps(decaySteps, schedule: "PolynomialDecay")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.endLearningRate = endLearningRate
        self.power = power
        self.cycle = cycle
    }

    public func callAsFunction(_ step: Int) -> Float {
        var current = Float(step)
        var steps = Float(decaySteps)
        if cycle {
            steps *= step == 0 ? 1 : ceilf(current / Float(decaySteps))
        } else {
            current = Swift.min(current, steps)
        }
        let p = current / steps
        return (initialLearningRate - endLearningRate) * powf(1 - p, power) + endLearningRate
    }
}
