import Glibc

/// A learning rate that changes with the optimizer's step (Keras's `LearningRateSchedule`);
/// any optimizer takes one as its `learningRate`:
///
/// ```swift
/// let optimizer = SGD(learningRate: try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96))
/// ```
///
/// A plain number is the constant schedule, so `SGD(learningRate: 0.01)` works as before.
/// Values are computed in Float32 with Keras's formulas, so they equal Keras's.
public protocol LearningRateSchedule {
    /// The learning rate for the update at `step` (0 for the first update).
    func callAsFunction(_ step: Int) -> Float
}

extension LearningRateSchedule {
    /// Whether this is a fixed number rather than a schedule.
    var isConstant: Bool { self is Float || self is Double || self is Int }
}

extension Float: LearningRateSchedule {
    public func callAsFunction(_ step: Int) -> Float { self }
}

extension Double: LearningRateSchedule {
    public func callAsFunction(_ step: Int) -> Float { Float(self) }
}

extension Int: LearningRateSchedule {
    public func callAsFunction(_ step: Int) -> Float { Float(self) }
}

/// Throws unless a schedule's step count is positive.
func checkDecaySteps(_ steps: Int, _ argument: String = "decay_steps", schedule: String) throws {
    guard steps > 0 else {
        throw KerasError.invalidArgument("\(schedule): argument `\(argument)` must be > 0. Received: \(argument)=\(steps)")
    }
}
