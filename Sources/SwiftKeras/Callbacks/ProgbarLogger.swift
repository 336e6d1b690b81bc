/// Draws the progress bar (Keras's `ProgbarLogger`); fit and evaluate add one unless
/// verbose is 0, and predict when verbose is not 0. Inside fit, validation is silent.
///
/// When the number of steps is not known in advance (a dataset of unknown cardinality),
/// the bar shows Keras's "     12/Unknown" counter; in fit it knows the count from the
/// second epoch on, as Keras learns it from the first.
public final class ProgbarLogger: Callback {
    private var bar: ProgressBar?
    private var calledInFit = false
    /// Steps counted in the first epoch when `params.steps` is unknown.
    private var learnedSteps: Int?
    private var seen = 0

    public override init() {}

    private var target: Int? { params.steps ?? learnedSteps }

    private func startBar() {
        bar = ProgressBar(target: target, verbose: params.verbose)
        seen = 0
    }

    public override func onTrainBegin() throws { calledInFit = true }

    public override func onEpochBegin(_ epoch: Int) throws {
        startBar()
        if params.verbose > 0 && params.epochs > 1 { print("Epoch \(epoch + 1)/\(params.epochs)") }
    }

    /// The last step is drawn by onEpochEnd, with the validation logs.
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        seen = batch + 1
        if target.map({ seen < $0 }) ?? true { bar?.update(step: seen, logs: logs.pairs) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        if target == nil { learnedSteps = seen }
        bar?.target = target
        bar?.update(step: target ?? seen, logs: logs.pairs)
        bar?.epochLine(logs: logs.pairs)
    }

    public override func onTestBegin() throws { if !calledInFit { startBar() } }

    public override func onTestBatchEnd(_ batch: Int, logs: Logs) throws {
        guard !calledInFit else { return }
        seen = batch + 1
        bar?.update(step: seen, logs: logs.pairs)
    }

    public override func onTestEnd(logs: Logs) throws {
        if !calledInFit { finishPass(logs.pairs) }
    }

    public override func onPredictBegin() throws { startBar() }

    public override func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws {
        seen = batch + 1
        bar?.update(step: seen, logs: [])
    }

    public override func onPredictEnd() throws { finishPass([]) }

    /// The end of an evaluate or predict pass: a count that was unknown becomes the steps
    /// seen, and the finished bar is drawn (Keras's `_finalize_progbar`).
    private func finishPass(_ logs: [(String, Float)]) {
        if bar?.target == nil {
            bar?.target = seen
            bar?.update(step: seen, logs: logs)
        }
        bar?.epochLine(logs: logs)
    }
}
