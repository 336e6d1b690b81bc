import Glibc

/// initialLearningRate / (1 + decayRate · step / decaySteps), with an integer quotient when
/// `staircase` (Keras's `InverseTimeDecay`).
public struct InverseTimeDecay: LearningRateSchedule, Sendable {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let decayRate: Float
    public let staircase: Bool

    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) throws {
        try checkDecaySteps(decaySteps, schedule: "InverseTimeDecay")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    public func callAsFunction(_ step: Int) -> Float {
        var p = Float(step) / Float(decaySteps)
        if staircase { p = floorf(p) }
        return initialLearningRate / (1 + decayRate * p)
    }
}
