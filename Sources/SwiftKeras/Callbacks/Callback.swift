/// What fit, evaluate and predict tell their callbacks before they start (Keras's
/// `Callback.params`): the verbosity, the number of epochs and the steps in each.
public struct CallbackParams: Sendable, Equatable {
    public var verbose: Int
    public var epochs: Int
    /// Batches per epoch (or per evaluate / predict pass); nil when not known in advance.
    public var steps: Int?

    public init(verbose: Int = 1, epochs: Int = 1, steps: Int? = nil) {
        self.verbose = verbose
        self.epochs = epochs
        self.steps = steps
    }
}

/// The base of every callback (Keras's `keras.callbacks.Callback`): override the hooks
/// you need; `fit`, `evaluate` and `predict` call them in Keras's order.
///
/// ```swift
/// final class PrintValidationLoss: Callback {
///     override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
///         print("epoch \(epoch + 1): val_loss \(logs["val_loss"] ?? .nan)")
///     }
/// }
/// try model.fit(x, y, epochs: 5, callbacks: [PrintValidationLoss()], validationSplit: 0.2)
/// ```
///
/// Batch and epoch indices are 0-based. Batch and test logs hold the running values of
/// the pass so far; epoch-end logs hold the epoch's values and, when validation ran, the
/// same names prefixed "val_". `onEpochEnd` may add entries (a custom metric, the learning
/// rate): the callbacks after it, History among them, see them. A hook that throws ends
/// the call with that error. The begin hooks take no logs: Keras passes none.
open class Callback {
    /// The model being trained, evaluated or run (set before the first hook).
    public internal(set) weak var model: Model?
    /// The call's verbosity, epochs and steps (set before the first hook).
    public internal(set) var params = CallbackParams()

    public init() {}

    open func onTrainBegin() throws {}
    /// `logs` are the last epoch's, or empty when no epoch ran.
    open func onTrainEnd(logs: Logs) throws {}
    open func onEpochBegin(_ epoch: Int) throws {}
    open func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {}
    open func onTrainBatchBegin(_ batch: Int) throws {}
    open func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {}

    /// Called by evaluate, and by fit around each validation pass.
    open func onTestBegin() throws {}
    open func onTestEnd(logs: Logs) throws {}
    open func onTestBatchBegin(_ batch: Int) throws {}
    open func onTestBatchEnd(_ batch: Int, logs: Logs) throws {}

    open func onPredictBegin() throws {}
    open func onPredictEnd() throws {}
    open func onPredictBatchBegin(_ batch: Int) throws {}
    /// `outputs` are the batch's predictions, one array per model output (Keras passes
    /// them as `logs["outputs"]`).
    open func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws {}
}
