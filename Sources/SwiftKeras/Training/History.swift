/// What fit() returns: each epoch's logs (Keras's `History`).
public final class History {
    /// Metric name → one value per epoch ("loss", "accuracy", "val_loss", ...).
    public internal(set) var history: [String: [Float]] = [:]
    /// The epoch indices that ran (0-based).
    public internal(set) var epoch: [Int] = []

    func append(epoch index: Int, logs: [(String, Float)]) {
        epoch.append(index)
        for (key, value) in logs { history[key, default: []].append(value) }
    }
}
