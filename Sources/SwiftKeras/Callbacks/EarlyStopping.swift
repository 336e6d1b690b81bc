/// Stops training when a monitored quantity has stopped improving (Keras's `EarlyStopping`).
///
/// After each epoch from `startFromEpoch` on, the monitored value is compared with the best
/// so far; after `patience` epochs without an improvement of more than `minDelta`, fit
/// stops. With `baseline`, the wait only restarts on epochs that also beat the baseline.
/// With `restoreBestWeights`, the weights of the best epoch are put back whenever training
/// ends, stopped early or not (as current Keras does).
public final class EarlyStopping: MonitorCallback {
    public let patience: Int
    public let verbose: Int
    public let baseline: Double?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int
    /// Epochs since the last improvement.
    public private(set) var wait = 0
    /// The epoch (0-based) at which training was stopped, 0 when it was not.
    public private(set) var stoppedEpoch = 0
    /// The epoch (0-based) with the best monitored value.
    public private(set) var bestEpoch = 0
    private var bestWeights: [Tensor]?

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, verbose: Int = 0,
                mode: MonitorMode = .auto, baseline: Double? = nil, restoreBestWeights: Bool = false,
                startFromEpoch: Int = 0) {
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
        super.init(monitor: monitor, mode: mode, minDelta: minDelta)
    }

    public override func onTrainBegin() throws {
        guard patience >= 0 else { throw KerasError.invalidArgument("EarlyStopping: patience must be >= 0, received \(patience)") }
        guard startFromEpoch >= 0 else {
            throw KerasError.invalidArgument("EarlyStopping: start_from_epoch must be >= 0, received \(startFromEpoch)")
        }
        try checkMonitor()
        // A callback reused across fit calls starts afresh.
        wait = 0
        stoppedEpoch = 0
        best = nil
        bestWeights = nil
        bestEpoch = 0
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        guard let current = monitoredValue(logs, missing: "Early stopping"), epoch >= startFromEpoch,
              let model else { return }
        if restoreBestWeights && bestWeights == nil {
            // Until something improves, the weights so far are the best.
            bestWeights = model.getWeights()
            bestEpoch = epoch
        }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = model.getWeights() }
            if baseline == nil || isImprovement(current, over: baseline) { wait = 0 }
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            model.stopTraining = true
        }
    }

    public override func onTrainEnd(logs: Logs) throws {
        if stoppedEpoch > 0 && verbose > 0 { print("Epoch \(stoppedEpoch + 1): early stopping") }
        if restoreBestWeights, let bestWeights, let model {
            if verbose > 0 { print("Restoring model weights from the end of the best epoch: \(bestEpoch + 1).") }
            try model.setWeights(bestWeights)
        }
    }
}
