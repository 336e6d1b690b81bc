/// Sets the learning rate at the start of every epoch from `schedule(epoch, currentRate)`
/// (Keras's `LearningRateScheduler`), and adds "learning_rate" to the epoch logs.
///
/// ```swift
/// LearningRateScheduler { epoch, rate in epoch < 10 ? rate : rate * 0.9 }
/// ```
public final class LearningRateScheduler: Callback {
    public let schedule: (Int, Float) throws -> Float
    public let verbose: Int

    public init(verbose: Int = 0, _ schedule: @escaping (_ epoch: Int, _ learningRate: Float) throws -> Float) {
        self.schedule = schedule
        self.verbose = verbose
    }

    public override func onEpochBegin(_ epoch: Int) throws {
        guard let optimizer = model?.optimizer else { return }
        let rate = try schedule(epoch, optimizer.learningRate)
        guard rate.isFinite else {
            throw KerasError.invalidArgument("LearningRateScheduler: the schedule returned \(rate) for epoch \(epoch); it must return a finite learning rate")
        }
        try optimizer.setLearningRate(rate, by: "LearningRateScheduler")
        if verbose > 0 { print("\nEpoch \(epoch + 1): LearningRateScheduler setting learning rate to \(Double(rate)).") }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        if let optimizer = model?.optimizer { logs["learning_rate"] = optimizer.learningRate }
    }
}
