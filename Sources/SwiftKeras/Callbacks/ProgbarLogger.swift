/// Draws the progress bar (Keras's `ProgbarLogger`); fit and evaluate add one unless
/// verbose is 0, and predict when verbose is not 0. Inside fit, validation is silent.
public final class ProgbarLogger: Callback {
    private var bar: ProgressBar?
    private var calledInFit = false

    public override init() {}

    private var target: Int { params.steps ?? 0 }

    private func startBar() { bar = ProgressBar(target: target, verbose: params.verbose) }

    public override func onTrainBegin() throws { calledInFit = true }

    public override func onEpochBegin(_ epoch: Int) throws {
        startBar()
        if params.verbose > 0 && params.epochs > 1 { print("Epoch \(epoch + 1)/\(params.epochs)") }
    }

    /// The last step is drawn by onEpochEnd, with the validation logs.
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        if batch + 1 < target { bar?.update(step: batch + 1, logs: logs.pairs) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws { finish(logs) }

    public override func onTestBegin() throws { if !calledInFit { startBar() } }

    public override func onTestBatchEnd(_ batch: Int, logs: Logs) throws {
        if !calledInFit { bar?.update(step: batch + 1, logs: logs.pairs) }
    }

    public override func onTestEnd(logs: Logs) throws {
        if !calledInFit { bar?.epochLine(logs: logs.pairs) }
    }

    public override func onPredictBegin() throws { startBar() }

    public override func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws {
        bar?.update(step: batch + 1, logs: [])
    }

    public override func onPredictEnd() throws { bar?.epochLine(logs: []) }

    private func finish(_ logs: Logs) {
        bar?.update(step: target, logs: logs.pairs)
        bar?.epochLine(logs: logs.pairs)
    }
}
