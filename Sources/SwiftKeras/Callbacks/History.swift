/// Records each epoch's logs; fit returns it (Keras's `History`). fit adds one unless a
/// History is among its callbacks, in which case that one records (and is returned).
public final class History: Callback {
    /// Log name → one value per epoch ("loss", "accuracy", "val_loss", ...). A History
    /// reused across fit calls keeps appending, as in Keras.
    public internal(set) var history: [String: [Float]] = [:]
    /// The epoch indices that ran in the last fit (0-based; they start at `initialEpoch`).
    public internal(set) var epoch: [Int] = []

    public override init() {}

    public override func onTrainBegin() throws { epoch = [] }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        self.epoch.append(epoch)
        for (key, value) in logs { history[key, default: []].append(value) }
    }
}
