/// Lowers the learning rate when a monitored quantity has stopped improving (Keras's
/// `ReduceLROnPlateau`): after `patience` epochs without an improvement of more than
/// `minDelta`, the rate is multiplied by `factor` (never below `minLr`), then `cooldown`
/// epochs pass before waiting starts again. It adds "learning_rate" to the epoch logs.
public final class ReduceLROnPlateau: MonitorCallback {
    public let factor: Double
    public let patience: Int
    public let verbose: Int
    public let cooldown: Int
    public let minLr: Double
    private var cooldownCounter = 0
    private var wait = 0

    public init(monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, verbose: Int = 0,
                mode: MonitorMode = .auto, minDelta: Double = 1e-4, cooldown: Int = 0, minLr: Double = 0) {
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.minLr = minLr
        super.init(monitor: monitor, mode: mode, minDelta: minDelta)
    }

    public override func onTrainBegin() throws {
        guard factor < 1 else {
            throw KerasError.invalidArgument("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=\(factor)")
        }
        guard factor >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau: factor must be >= 0, received \(factor)") }
        guard patience >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau: patience must be >= 0, received \(patience)") }
        guard cooldown >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau: cooldown must be >= 0, received \(cooldown)") }
        guard minLr >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau: min_lr must be >= 0, received \(minLr)") }
        try checkMonitor()
        best = nil
        cooldownCounter = 0
        wait = 0
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        guard let optimizer = model?.optimizer else { return }
        logs["learning_rate"] = optimizer.learningRate
        guard let current = monitoredValue(logs, missing: "Learning rate reduction") else { return }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if isImprovement(current, over: best) {
            best = current
            wait = 0
        } else if cooldownCounter == 0 {
            wait += 1
            if wait >= patience {
                let old = Double(optimizer.learningRate)
                if old > Double(Float(minLr)) {
                    let new = Swift.max(old * factor, minLr)
                    try optimizer.setLearningRate(Float(new), by: "ReduceLROnPlateau")
                    if verbose > 0 { print("\nEpoch \(epoch + 1): ReduceLROnPlateau reducing learning rate to \(new).") }
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }
}
