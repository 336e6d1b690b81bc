/// A callback made of closures, for small jobs that need no class (Keras's `LambdaCallback`).
///
/// ```swift
/// LambdaCallback(onEpochEnd: { epoch, logs in print(epoch, logs["loss"] ?? 0) })
/// ```
public final class LambdaCallback: Callback {
    private let epochBegin: ((Int) throws -> Void)?
    private let epochEnd: ((Int, Logs) throws -> Void)?
    private let trainBegin: (() throws -> Void)?
    private let trainEnd: ((Logs) throws -> Void)?
    private let trainBatchBegin: ((Int) throws -> Void)?
    private let trainBatchEnd: ((Int, Logs) throws -> Void)?
    private let testEnd: ((Logs) throws -> Void)?
    private let predictBatchEnd: ((Int, [Tensor]) throws -> Void)?

    public init(onEpochBegin: ((_ epoch: Int) throws -> Void)? = nil,
                onEpochEnd: ((_ epoch: Int, _ logs: Logs) throws -> Void)? = nil,
                onTrainBegin: (() throws -> Void)? = nil,
                onTrainEnd: ((_ logs: Logs) throws -> Void)? = nil,
                onTrainBatchBegin: ((_ batch: Int) throws -> Void)? = nil,
                onTrainBatchEnd: ((_ batch: Int, _ logs: Logs) throws -> Void)? = nil,
                onTestEnd: ((_ logs: Logs) throws -> Void)? = nil,
                onPredictBatchEnd: ((_ batch: Int, _ outputs: [Tensor]) throws -> Void)? = nil) {
        epochBegin = onEpochBegin
        epochEnd = onEpochEnd
        trainBegin = onTrainBegin
        trainEnd = onTrainEnd
        trainBatchBegin = onTrainBatchBegin
        trainBatchEnd = onTrainBatchEnd
        testEnd = onTestEnd
        predictBatchEnd = onPredictBatchEnd
    }

    public override func onEpochBegin(_ epoch: Int) throws { try epochBegin?(epoch) }
    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws { try epochEnd?(epoch, logs) }
    public override func onTrainBegin() throws { try trainBegin?() }
    public override func onTrainEnd(logs: Logs) throws { try trainEnd?(logs) }
    public override func onTrainBatchBegin(_ batch: Int) throws { try trainBatchBegin?(batch) }
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { try trainBatchEnd?(batch, logs) }
    public override func onTestEnd(logs: Logs) throws { try testEnd?(logs) }
    public override func onPredictBatchEnd(_ batch: Int, outputs: [Tensor]) throws { try predictBatchEnd?(batch, outputs) }
}
