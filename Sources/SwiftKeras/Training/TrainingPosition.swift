/// Where a pass over the training data stands.
struct PassPosition {
    /// Passes this fit started before this one (a dataset's shuffle stage draws each pass's
    /// order from its number).
    var number: Int
    /// Batches read in the pass so far.
    var batches: Int
    /// The random generator as the pass began: starting the pass again from it draws the
    /// same shuffle.
    var randomState: RandomGenerator
}

/// Where a fit stands: what BackupAndRestore saves, and what fit resumes from.
struct TrainingPosition {
    /// The epoch in progress (at an epoch's end: the next one) and the batches done in it.
    var epoch: Int
    var step: Int
    /// The running losses and metrics of the epoch so far (`PassMetrics.state`); empty at
    /// an epoch's start.
    var metrics: [Double]
    /// The random generator's position.
    var randomState: RandomGenerator
    /// The pass under way, nil when the next epoch starts a new one.
    var pass: PassPosition?
}

/// The position of the running fit, kept up to date by the loop for callbacks to read.
final class FitProgress {
    var epoch = 0
    var step = 0
    var pass: PassPosition?
    /// The running metrics' state, read only when a callback asks.
    var metricsState: () -> [Double] = { [] }

    func position(atEpochEnd: Bool, randomState: RandomGenerator) -> TrainingPosition {
        atEpochEnd
            ? TrainingPosition(epoch: epoch + 1, step: 0, metrics: [], randomState: randomState, pass: pass)
            : TrainingPosition(epoch: epoch, step: step, metrics: metricsState(), randomState: randomState, pass: pass)
    }
}
