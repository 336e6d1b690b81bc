/// How often fit validates (Keras's `validation_freq`): every N epochs (`validationFreq: 2`),
/// or after the listed 1-based epochs (`validationFreq: [1, 5, 10]`).
public struct ValidationFrequency: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    let interval: Int?
    let epochs: [Int]

    public init(integerLiteral value: Int) { interval = value; epochs = [] }
    public init(arrayLiteral elements: Int...) { interval = nil; epochs = elements }
    public static func every(_ epochs: Int) -> ValidationFrequency { ValidationFrequency(integerLiteral: epochs) }
    public static func epochs(_ list: [Int]) -> ValidationFrequency { ValidationFrequency(interval: nil, epochs: list) }

    private init(interval: Int?, epochs: [Int]) {
        self.interval = interval
        self.epochs = epochs
    }

    /// Whether to validate after the epoch with 0-based index `epoch`.
    func validates(afterEpoch epoch: Int) -> Bool {
        interval.map { (epoch + 1) % $0 == 0 } ?? epochs.contains(epoch + 1)
    }

    func check() throws {
        if let interval, interval <= 0 {
            throw KerasError.invalidArgument("fit: validation_freq must be a positive integer or a list of epochs, received \(interval)")
        }
    }
}

/// The epochs fit runs and how it validates.
struct FitPlan {
    var epochs: Int
    var initialEpoch: Int
    var verbose: Int
    var stepsPerEpoch: Int?
    var validationSteps: Int?
    var validationFreq: ValidationFrequency
}

extension Model {
    /// The optimizer chosen in compile() (nil before): callbacks read and set its learning rate.
    public var optimizer: Optimizer? { compiled?.optimizer }

    /// Trains for `epochs` passes over (x, y) (Keras's `fit`); returns the History.
    ///
    /// - callbacks: called at each stage (see `Callback`), after which fit's own History
    ///   and, unless verbose is 0, the progress bar run.
    /// - validationSplit: the last fraction of the samples (and of `sampleWeight`), taken
    ///   before shuffling, is held out for validation, as in Keras.
    /// - classWeight: class id → weight of its samples in the loss and metrics (single
    ///   output, not with `sampleWeight`); sampleWeight: one weight per sample.
    /// - initialEpoch: the epoch to start from (to resume a run); epochs count from 0 to `epochs`.
    /// - stepsPerEpoch: batches per epoch; the next epoch goes on where the last stopped.
    /// - validationSteps, validationBatchSize (default `batchSize`), validationFreq: how
    ///   much, in what batches and after which epochs to validate.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationData: (Tensor, Tensor)? = nil, validationSplit: Float = 0,
                    shuffle: Bool = true, classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil,
                    initialEpoch: Int = 0, stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
                    validationBatchSize: Int? = nil, validationFreq: ValidationFrequency = 1) throws -> History {
        try fit([x], [y], batchSize: batchSize, epochs: epochs, verbose: verbose, callbacks: callbacks,
                validationData: validationData.map { ([$0.0], [$0.1]) }, validationSplit: validationSplit, shuffle: shuffle,
                classWeight: classWeight, sampleWeight: sampleWeight.map { [$0] }, initialEpoch: initialEpoch,
                stepsPerEpoch: stepsPerEpoch, validationSteps: validationSteps, validationBatchSize: validationBatchSize,
                validationFreq: validationFreq)
    }

    /// fit() for models with several inputs or outputs: one array per input and per output;
    /// `sampleWeight` holds one array per output, or one for all of them.
    @discardableResult
    public func fit(_ x: [Tensor], _ y: [Tensor], batchSize: Int = 32, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationData: ([Tensor], [Tensor])? = nil, validationSplit: Float = 0,
                    shuffle: Bool = true, classWeight: [Int: Float]? = nil, sampleWeight: [Tensor]? = nil,
                    initialEpoch: Int = 0, stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
                    validationBatchSize: Int? = nil, validationFreq: ValidationFrequency = 1) throws -> History {
        let settings = try requireCompiled("fit")
        try checkPositive(batchSize, "batch_size", caller: "fit")
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must be >= 0, received \(epochs)") }
        guard initialEpoch >= 0 else { throw KerasError.invalidArgument("fit: initial_epoch must be >= 0, received \(initialEpoch)") }
        if let stepsPerEpoch { try checkPositive(stepsPerEpoch, "steps_per_epoch", caller: "fit") }
        if let validationSteps { try checkPositive(validationSteps, "validation_steps", caller: "fit") }
        if let validationBatchSize { try checkPositive(validationBatchSize, "validation_batch_size", caller: "fit") }
        try validationFreq.check()
        guard validationSplit >= 0, validationSplit < 1 else {
            throw KerasError.invalidArgument("fit: validation_split must be in [0, 1), received \(validationSplit)")
        }
        if classWeight != nil {
            guard sampleWeight == nil else {
                throw KerasError.invalidArgument("fit: you cannot use class_weight and sample_weight at the same time")
            }
            guard settings.losses.count == 1 else {
                throw KerasError.invalidArgument(
                    "fit: class_weight is not supported for a model with \(settings.losses.count) outputs; pass sample_weight per output instead")
            }
        }
        var xTrain = try adapt(x, caller: "fit")
        var yTrain = y
        try checkData(xTrain, yTrain, caller: "fit", settings: settings)
        var weights = try sampleWeightsPerOutput(sampleWeight, samples: xTrain[0].shape[0], caller: "fit", settings: settings)

        var validation: (any BatchSource)?
        let validationBatch = validationBatchSize ?? batchSize
        if let (xVal, yVal) = validationData {
            let xv = try adapt(xVal, caller: "fit (validation_data)")
            try checkData(xv, yVal, caller: "fit (validation_data)", settings: settings)
            validation = ArrayBatches(x: xv, y: yVal, batchSize: validationBatch)
        } else if validationSplit > 0 {
            let n = xTrain[0].shape[0]
            let splitAt = Int((Double(n) * Double(1 - validationSplit)).rounded(.down))
            guard splitAt > 0, splitAt < n else {
                throw KerasError.invalidArgument(
                    "fit: validation_split=\(validationSplit) leaves \(splitAt) training and \(n - splitAt) validation samples out of \(n); both must be non-empty")
            }
            func rows(_ arrays: [Tensor], _ range: Range<Int>) throws -> [Tensor] { try arrays.map { try $0.slice(rows: range) } }
            validation = ArrayBatches(x: try rows(xTrain, splitAt..<n), y: try rows(yTrain, splitAt..<n),
                                      sampleWeights: try weights.map { try $0?.slice(rows: splitAt..<n) }, batchSize: validationBatch)
            xTrain = try rows(xTrain, 0..<splitAt)
            yTrain = try rows(yTrain, 0..<splitAt)
            weights = try weights.map { try $0?.slice(rows: 0..<splitAt) }
        }
        if let classWeight { weights = [try classSampleWeights(classWeight, labels: yTrain[0])] }

        let training = ArrayBatches(x: xTrain, y: yTrain, sampleWeights: weights, batchSize: batchSize, shuffle: shuffle)
        let plan = FitPlan(epochs: epochs, initialEpoch: initialEpoch, verbose: verbose, stepsPerEpoch: stepsPerEpoch,
                           validationSteps: validationSteps, validationFreq: validationFreq)
        return try runFit(training, validation: validation, settings: settings, plan: plan, callbacks: callbacks)
    }

    /// The training loop (Keras's `trainer.fit`), over any source of batches. Data-parallel,
    /// an error only this process met ends the job (`endingJobOnLocalFailure`).
    func runFit<Source: BatchSource>(_ training: Source, validation: (any BatchSource)?, settings: CompiledSettings,
                                     plan: FitPlan, callbacks: [Callback]) throws -> History {
        try endingJobOnLocalFailure(settings, "fit") {
            try fitLoop(training, validation: validation, settings: settings, plan: plan, callbacks: callbacks)
        }
    }

    private func fitLoop<Source: BatchSource>(_ training: Source, validation: (any BatchSource)?, settings: CompiledSettings,
                                              plan: FitPlan, callbacks userCallbacks: [Callback]) throws -> History {
        var batches = EpochIterator(training, stepsPerEpoch: plan.stepsPerEpoch)
        let (userCallbacks, verbose) = try beginDataParallel(settings, callbacks: userCallbacks, verbose: plan.verbose, steps: batches.steps)
        let callbacks = CallbackList(userCallbacks, addHistory: true, addProgressBar: verbose != 0, model: self,
                                     params: CallbackParams(verbose: verbose, epochs: plan.epochs, steps: batches.steps))
        let progress = FitProgress()
        batches.progress = progress
        fitProgress = progress
        defer { fitProgress = nil }
        stopTraining = false
        resumePosition = nil
        try callbacks.onTrainBegin()
        let resume = resumePosition
        resumePosition = nil
        if let resume {
            try batches.resume(at: resume.pass)
            GlobalRandom.generator = resume.randomState
        }
        let firstEpoch = resume?.epoch ?? plan.initialEpoch
        var lastLogs = Logs()
        for epoch in firstEpoch..<Swift.max(firstEpoch, plan.epochs) {
            progress.epoch = epoch
            progress.step = 0
            try callbacks.onEpochBegin(epoch)
            var metrics = PassMetrics(settings: settings, outputNames: outputNames)
            var firstStep = 0
            if let resume, epoch == resume.epoch, resume.step > 0 {
                try metrics.resume(from: resume.metrics)
                firstStep = resume.step
            }
            progress.metricsState = { metrics.state }
            try batches.runEpoch(from: firstStep) { step, batch in
                try callbacks.onTrainBatchBegin(step)
                if let (result, part) = try trainStepOnPart(batch, settings: settings) {
                    try metrics.add(result, batchSize: part.size, targets: part.y)
                }
                try callbacks.onTrainBatchEnd(step, logs: reduced(metrics).logs())
                return !stopTraining
            }
            progress.metricsState = { [] }
            var logs = reduced(metrics).logs()
            if let validation, plan.validationFreq.validates(afterEpoch: epoch) {
                let validationMetrics = try runTest(validation, steps: plan.validationSteps, settings: settings, callbacks: callbacks)
                logs = logs.merging(validationMetrics.logs(prefix: "val_"))
            }
            // Callbacks may add entries (the learning rate); as in Keras, onTrainEnd gets the
            // epoch's logs without them.
            var epochLogs = logs
            try callbacks.onEpochEnd(epoch, logs: &epochLogs)
            lastLogs = logs
            if stopTraining { break }
        }
        // With EMA, the weights become their moving averages (Keras's finalize_variable_values).
        if plan.epochs > firstEpoch { try settings.optimizer.finalizeVariableValues(trainableWeights) }
        try callbacks.onTrainEnd(logs: lastLogs)
        return callbacks.history!
    }

    /// The metrics of a pass as every process must see them before callbacks read them:
    /// data-parallel training sums `state` across processes here. One process: unchanged.
    func reduced(_ metrics: PassMetrics) -> PassSnapshot { reducedOverProcesses(metrics) }

    /// The weighted total loss and each output's loss, on the tape.
    /// `extra` holds the layers' own losses (regularizers), which join the total as in Keras.
    func losses(_ outputs: [(output: Tensor, mask: Tensor?)], _ targets: [Tensor], sampleWeights: [Tensor?],
                settings: CompiledSettings, extra: Tensor? = nil) throws -> (total: Tensor, perOutput: [Tensor]) {
        let perOutput = try outputs.indices.map { o in
            let loss = try settings.losses[o](targets[o], outputs[o].output, mask: outputs[o].mask, sampleWeight: sampleWeights[o])
            // A loss without reduction gives one value per row; Keras's compiled loss averages them.
            return loss.rank == 0 ? loss : try loss.mean()
        }
        var total = perOutput[0] * settings.lossWeights[0]
        for o in perOutput.indices.dropFirst() { total = try total + perOutput[o] * settings.lossWeights[o] }
        if let extra { total = try total + extra }
        return (total, perOutput)
    }

    /// The losses, predictions and metric weights of one batch. As in Keras, sample weights
    /// weigh the loss but not the compiled metrics (Keras's `metrics`, not `weighted_metrics`):
    /// metrics only leave out masked steps.
    private func stepResult(_ outputs: [(output: Tensor, mask: Tensor?)], loss: Tensor, perOutput: [Tensor]) throws -> StepResult {
        let weights = try outputs.map { output, mask in
            try rowWeights(mask: mask, sampleWeight: nil, rows: output.count / Swift.max(output.shape.last ?? 1, 1))
        }
        return StepResult(loss: loss.item, outputLosses: perOutput.map(\.item),
                          predictions: outputs.map(\.output.detached), rowWeights: weights)
    }

    /// One optimizer step on one batch; the losses are those before the update.
    func trainStep(_ batch: Batch, settings: CompiledSettings) throws -> StepResult {
        let (outputs, extra) = try callCollectingLosses(batch.x, training: true)
        let (total, perOutput) = try losses(outputs, batch.y, sampleWeights: batch.sampleWeights, settings: settings, extra: extra)
        let variables = trainableWeights
        let grads = try reduceGradients(gradients(of: total, wrt: variables), of: variables, settings: settings)
        try withoutGradients { try settings.optimizer.apply(gradients: grads, to: variables) }
        return try stepResult(outputs, loss: total, perOutput: perOutput)
    }

    /// The losses and predictions of one batch in inference mode (run without gradients).
    func testStep(_ batch: Batch, settings: CompiledSettings) throws -> StepResult {
        let (outputs, extra) = try callCollectingLosses(batch.x, training: false)
        let (total, perOutput) = try losses(outputs, batch.y, sampleWeights: batch.sampleWeights, settings: settings, extra: extra)
        return try stepResult(outputs, loss: total, perOutput: perOutput)
    }

    /// One optimizer step on one batch (Keras's `train_on_batch`): the loss before the
    /// update (and each output's, for several outputs), then the metrics.
    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor, sampleWeight: Tensor? = nil) throws -> [Float] {
        try trainOnBatch([x], [y], sampleWeight: sampleWeight.map { [$0] })
    }

    @discardableResult
    public func trainOnBatch(_ x: [Tensor], _ y: [Tensor], sampleWeight: [Tensor]? = nil) throws -> [Float] {
        let settings = try requireCompiled("train_on_batch")
        let xb = try adapt(x, caller: "train_on_batch")
        try checkData(xb, y, caller: "train_on_batch", settings: settings)
        let weights = try sampleWeightsPerOutput(sampleWeight, samples: xb[0].shape[0], caller: "train_on_batch", settings: settings)
        var metrics = PassMetrics(settings: settings, outputNames: outputNames)
        if let (result, part) = try trainStepOnPart(Batch(x: xb, y: y, sampleWeights: weights), settings: settings) {
            try metrics.add(result, batchSize: part.size, targets: part.y)
        }
        return reduced(metrics).results
    }

    /// The loss and metrics on (x, y): `[loss, metric1, ...]` (Keras's `evaluate`).
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, verbose: Int = 1, sampleWeight: Tensor? = nil,
                         steps: Int? = nil, callbacks: [Callback] = []) throws -> [Float] {
        try evaluate([x], [y], batchSize: batchSize, verbose: verbose, sampleWeight: sampleWeight.map { [$0] },
                     steps: steps, callbacks: callbacks)
    }

    /// evaluate() for several inputs or outputs: `[loss, per-output losses..., metrics...]`.
    public func evaluate(_ x: [Tensor], _ y: [Tensor], batchSize: Int = 32, verbose: Int = 1, sampleWeight: [Tensor]? = nil,
                         steps: Int? = nil, callbacks: [Callback] = []) throws -> [Float] {
        let settings = try requireCompiled("evaluate")
        try checkPositive(batchSize, "batch_size", caller: "evaluate")
        if let steps { try checkPositive(steps, "steps", caller: "evaluate") }
        let xe = try adapt(x, caller: "evaluate")
        try checkData(xe, y, caller: "evaluate", settings: settings)
        let weights = try sampleWeightsPerOutput(sampleWeight, samples: xe[0].shape[0], caller: "evaluate", settings: settings)
        let source = ArrayBatches(x: xe, y: y, sampleWeights: weights, batchSize: batchSize)
        let list = CallbackList(callbacks, addProgressBar: showsProgress(verbose), model: self,
                                params: CallbackParams(verbose: verbose, epochs: 1, steps: steps ?? source.batchesPerPass))
        return try runTest(source, steps: steps, settings: settings, callbacks: list).results
    }

    /// The evaluation loop (Keras's `trainer.evaluate`); fit runs it for validation with its
    /// own callbacks. Returns the pass's metrics, reduced across processes.
    func runTest<Source: BatchSource>(_ source: Source, steps: Int?, settings: CompiledSettings,
                                      callbacks: CallbackList) throws -> PassSnapshot {
        try endingJobOnLocalFailure(settings, "evaluate") { try testLoop(source, steps: steps, settings: settings, callbacks: callbacks) }
    }

    private func testLoop<Source: BatchSource>(_ source: Source, steps: Int?, settings: CompiledSettings,
                                               callbacks: CallbackList) throws -> PassSnapshot {
        var batches = EpochIterator(source, stepsPerEpoch: steps)
        var metrics = PassMetrics(settings: settings, outputNames: outputNames)
        try callbacks.onTestBegin()
        try withoutGradients {
            try batches.runEpoch { step, batch in
                try callbacks.onTestBatchBegin(step)
                if let (result, part) = try testStepOnPart(batch, settings: settings) {
                    try metrics.add(result, batchSize: part.size, targets: part.y)
                }
                try callbacks.onTestBatchEnd(step, logs: reduced(metrics).logs())
                return true
            }
        }
        let result = reduced(metrics)
        try callbacks.onTestEnd(logs: result.logs())
        return result
    }

    /// The model's output for `x`, computed in batches (Keras's `predict`).
    public func predict(_ x: Tensor, batchSize: Int = 32, verbose: Int = 0, steps: Int? = nil,
                        callbacks: [Callback] = []) throws -> Tensor {
        try singleOutput(try predict([x], batchSize: batchSize, verbose: verbose, steps: steps, callbacks: callbacks))
    }

    /// The one output of a single-output model's predictions.
    func singleOutput(_ outputs: [Tensor]) throws -> Tensor {
        guard outputs.count == 1 else {
            throw KerasError.invalidArgument("predict: model \"\(name)\" has \(outputs.count) outputs; use predict([x]) for all of them")
        }
        return outputs[0]
    }

    /// predict() for several inputs or outputs: one array per output. With `steps`, only
    /// the first `steps` batches are predicted.
    public func predict(_ x: [Tensor], batchSize: Int = 32, verbose: Int = 0, steps: Int? = nil,
                        callbacks: [Callback] = []) throws -> [Tensor] {
        try checkPositive(batchSize, "batch_size", caller: "predict")
        if let steps { try checkPositive(steps, "steps", caller: "predict") }
        let xp = try adapt(x, caller: "predict")
        try checkFinite(xp, name: "x", caller: "predict")
        if let outputs = try predictOnParts(xp, steps: steps, {
            try predict($0, batchSize: batchSize, verbose: showsProgress(verbose) ? verbose : 0, callbacks: callbacks)
        }) { return outputs }
        return try runPredict(ArrayBatches(x: xp, batchSize: batchSize), steps: steps, verbose: verbose, callbacks: callbacks)
    }

    /// The prediction loop (Keras's `trainer.predict`), over any source of batches.
    func runPredict<Source: BatchSource>(_ source: Source, steps: Int?, verbose: Int, callbacks: [Callback]) throws -> [Tensor] {
        var batches = EpochIterator(source, stepsPerEpoch: steps)
        let list = CallbackList(callbacks, addProgressBar: verbose != 0, model: self,
                                params: CallbackParams(verbose: verbose, epochs: 1, steps: batches.steps))
        // Only callbacks other than the progress bar look at each batch's outputs.
        let passOutputs = list.callbacks.contains { !($0 is ProgbarLogger) }
        // Layer by layer over a whole large batch, the activations outgrow the caches (LeNet at
        // batch 256: 16k images/s; in slices of 64 samples: 26k). A samplewise model gives the
        // same outputs either way, so its batches run in such slices.
        let samplewise = isSamplewise
        try list.onPredictBegin()
        let outputs: [Tensor] = try withoutGradients {
            var parts: [[Tensor]] = []
            try batches.runEpoch { step, batch in
                try list.onPredictBatchBegin(step)
                let firstPart = parts.first?.count ?? 0
                let slice = samplewise ? Swift.min(batch.size, 64) : batch.size
                for first in stride(from: 0, to: batch.size, by: slice) {
                    let range = first..<Swift.min(batch.size, first + slice)
                    let part = try callWithMasks(try batch.x.map { try $0.slice(rows: range) }, training: false).map(\.output)
                    if parts.isEmpty { parts = Array(repeating: [], count: part.count) }
                    for (o, values) in part.enumerated() { parts[o].append(values) }
                }
                let batchOutputs = passOutputs ? try parts.enumerated().map { o, done in try joinBatches(Array(done[firstPart...]), output: o) } : []
                try list.onPredictBatchEnd(step, outputs: batchOutputs)
                return true
            }
            guard !parts.isEmpty else { throw KerasError.invalidData("predict: the input produced no batches; at least one sample is needed") }
            return try parts.enumerated().map { o, batches in try joinBatches(batches, output: o) }
        }
        try list.onPredictEnd()
        return outputs
    }

    func checkPositive(_ value: Int, _ argument: String, caller: String) throws {
        guard value > 0 else { throw KerasError.invalidArgument("\(caller): \(argument) must be a positive integer, received \(value)") }
    }

    /// Sample weights as given (one array per output, or one for all), checked: one weight
    /// per sample (or per timestep), finite. nil entries weigh every sample 1.
    func sampleWeightsPerOutput(_ given: [Tensor]?, samples: Int, caller: String, settings: CompiledSettings) throws -> [Tensor?] {
        let outputs = settings.losses.count
        guard let given else { return Array(repeating: nil, count: outputs) }
        guard given.count == 1 || given.count == outputs else {
            throw KerasError.invalidArgument(
                "\(caller): model \"\(name)\" has \(outputs) output(s) but \(given.count) sample_weight arrays were given")
        }
        for (i, weights) in given.enumerated() {
            let what = given.count > 1 ? "sample_weight[\(i)]" : "sample_weight"
            guard weights.rank >= 1, weights.shape[0] == samples else {
                throw KerasError.invalidData(
                    "\(caller): \(what) has shape \(shapeString(weights.shape)) but x has \(samples) samples; give one weight per sample")
            }
            try checkFinite(weights, what: what, caller: caller)
        }
        return given.count == outputs ? given : Array(repeating: given[0], count: outputs)
    }

    /// The batch outputs of `predict` joined along the batch axis, as Keras concatenates them
    /// (a model may return more or fewer rows than it was given).
    private func joinBatches(_ batches: [Tensor], output: Int) throws -> Tensor {
        guard batches.count > 1 else { return batches[0] }
        let first = batches[0]
        for batch in batches where batch.rank == 0 || batch.rank != first.rank || batch.shape.dropFirst() != first.shape.dropFirst() {
            let outputName = outputNames.indices.contains(output) ? " \"\(outputNames[output])\"" : ""
            throw KerasError.invalidData(
                "predict: the batch outputs of output\(outputName) of model \"\(name)\" have shapes \(shapeString(first.shape)) and \(shapeString(batch.shape)), which cannot be joined along the batch axis")
        }
        return try concatenate(batches, axis: 0)
    }

    // MARK: Checks shared by fit, evaluate and predict

    func checkData(_ x: [Tensor], _ y: [Tensor], caller: String, settings: CompiledSettings) throws {
        let n = x[0].shape[0]
        guard y.count == settings.losses.count else {
            throw KerasError.invalidData(
                "\(caller): model \"\(name)\" has \(settings.losses.count) output(s) but \(y.count) target array(s) were given")
        }
        for (o, target) in y.enumerated() {
            guard target.rank >= 1, target.shape[0] == n else {
                throw KerasError.invalidData(
                    "\(caller): data cardinality is ambiguous: x has \(n) samples (shape \(shapeString(x[0].shape))) but y\(y.count > 1 ? "[\(o)]" : "") has \(target.rank == 0 ? 0 : target.shape[0]) (shape \(shapeString(target.shape))). Make sure all arrays contain the same number of samples.")
            }
        }
        try checkFinite(x, name: "x", caller: caller)
        try checkFinite(y, name: "y", caller: caller)
        let outputShapes = try build(inputShapes: x.map { Array($0.shape.dropFirst()) })
        for (o, (loss, target)) in zip(settings.losses, y).enumerated() {
            // Dimensions unknown until data arrives (a None time axis) are taken from the targets.
            let shape = [n] + outputShapes[o].enumerated().map { p, dim in
                dim >= 0 ? dim : (p + 1 < target.rank ? target.shape[p + 1] : 1)
            }
            try loss.validate(labels: target, predictionShape: shape)
        }
    }

    /// Throws on NaN or infinity in any array, naming it ("x", or "x[1]" among several).
    func checkFinite(_ arrays: [Tensor], name: String, caller: String) throws {
        for (i, t) in arrays.enumerated() { try checkFinite(t, what: arrays.count > 1 ? "\(name)[\(i)]" : name, caller: caller) }
    }

    func checkFinite(_ t: Tensor, what: String, caller: String) throws {
        let p = t.storage.pointer
        for i in 0..<t.count where !p[i].isFinite {
            let rowSize = t.count / Swift.max(t.shape.first ?? 1, 1)
            throw KerasError.invalidData(
                "\(caller): \(what) contains a non-finite value (\(p[i])) in sample \(i / Swift.max(rowSize, 1)) (flat index \(i)); clean or impute the data first")
        }
    }
}
