/// Calls a list of callbacks in order (Keras's `CallbackList`). fit adds a `History` (and
/// a `ProgbarLogger` unless verbose is 0) after the user's callbacks, so both see what the
/// user's callbacks added to the logs; a History or ProgbarLogger passed in is used instead.
///
/// Custom training loops can drive one by hand: see Docs/Callbacks.md.
public final class CallbackList: Callback {
    public private(set) var callbacks: [Callback]
    /// The History that fit returns (nil when none was asked for).
    public let history: History?

    public init(_ callbacks: [Callback] = [], addHistory: Bool = false, addProgressBar: Bool = false,
                model: Model? = nil, params: CallbackParams? = nil) {
        var members = callbacks
        var history = callbacks.lazy.compactMap { $0 as? History }.first
        if history == nil && addHistory {
            history = History()
            members.append(history!)
        }
        if addProgressBar && !members.contains(where: { $0 is ProgbarLogger }) { members.append(ProgbarLogger()) }
        self.callbacks = members
        self.history = history
        super.init()
        if let model { setModel(model) }
        if let params { setParams(params) }
    }

    public func setModel(_ model: Model) {
        self.model = model
        for callback in callbacks { callback.model = model }
    }

    public func setParams(_ params: CallbackParams) {
        self.params = params
        for callback in callbacks { callback.params = params }
    }

    public func append(_ callback: Callback) {
        callback.model = model
        callback.params = params
        callbacks.append(callback)
    }

    public override func onTrainBegin() throws { for c in callbacks { try c.onTrainBegin() } }
    public override func onTrainEnd(logs: Logs) throws {
        let logs = logs.sortedByKey()
        for c in callbacks { try c.onTrainEnd(logs: logs) }
    }
    public override func onEpochBegin(_ epoch: Int) throws { for c in callbacks { try c.onEpochBegin(epoch) } }
    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        logs = logs.sortedByKey()
        for c in callbacks { try c.onEpochEnd(epoch, logs: &logs) }
    }
    public override func onTrainBatchBegin(_ batch: Int) throws { for c in callbacks { try c.onTrainBatchBegin(batch) } }
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        for c in callbacks { try c.onTrainBatchEnd(batch, logs: logs) }
    }

    public override func onTestBegin() throws { for c in callbacks { try c.onTestBegin() } }
    public override func onTestEnd(logs: Logs) throws {
        let logs = logs.sortedByKey()
        for c in callbacks { try c.onTestEnd(logs: logs) }
    }
    public override func onTestBatchBegin(_ batch: Int) throws { for c in callbacks { try c.onTestBatchBegin(batch) } }
    public override func onTestBatchEnd(_ batch: Int, logs: Logs) throws {
        for c in callbacks { try c.onTestBatchEnd(batch, logs: logs) }
    }

    public override func onPredictBegin() throws { for c in callbacks { try c.onPredictBegin() } }
    public override func onPredictEnd() throws { for c in callbacks { try c.onPredictEnd() } }
    public override func onPredictBatchBegin(_ batch: Int) throws { for c in callbacks { try c.onPredictBatchBegin(batch) } }
    public override func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws {
        for c in callbacks { try c.onPredictBatchEnd(batch, outputs: outputs) }
    }
}
