/// Running sums for one pass over data: batch-size-weighted losses and correct counts, per output.
struct EpochAccumulator {
    let settings: CompiledSettings
    let outputNames: [String]
    var lossSum: Double = 0
    var outputLossSums: [Double]
    var samples = 0
    var correct: [[Int]]
    var counted: [[Int]]

    init(settings: CompiledSettings, outputNames: [String]) {
        self.settings = settings
        self.outputNames = outputNames
        outputLossSums = Array(repeating: 0, count: settings.losses.count)
        correct = settings.metrics.map { Array(repeating: 0, count: $0.count) }
        counted = correct
    }

    mutating func add(_ step: StepResult, batchSize: Int, targets: [Tensor]) {
        lossSum += Double(step.loss) * Double(batchSize)
        samples += batchSize
        for o in outputLossSums.indices {
            outputLossSums[o] += Double(step.outputLosses[o]) * Double(batchSize)
            for (i, metric) in settings.metrics[o].enumerated() {
                let (right, total) = countCorrect(metric.kind, yTrue: targets[o], yPred: step.predictions[o], mask: step.masks[o])
                correct[o][i] += right
                counted[o][i] += total
            }
        }
    }

    private func mean(_ sum: Double) -> Float { Float(sum / Double(Swift.max(samples, 1))) }
    private func rate(_ o: Int, _ i: Int) -> Float { Float(Double(correct[o][i]) / Double(Swift.max(counted[o][i], 1))) }
    private var multiOutput: Bool { outputLossSums.count > 1 }

    /// Logs in Keras's order: names sorted alphabetically. Several outputs add
    /// "<output>_loss" and "<output>_<metric>" entries.
    func logs(prefix: String = "") -> [(String, Float)] {
        var entries: [(String, Float)] = [(prefix + "loss", mean(lossSum))]
        for o in outputLossSums.indices {
            let outputPrefix = multiOutput ? outputNames[o] + "_" : ""
            if multiOutput { entries.append((prefix + outputPrefix + "loss", mean(outputLossSums[o]))) }
            for (i, metric) in settings.metrics[o].enumerated() {
                entries.append((prefix + outputPrefix + metric.name, rate(o, i)))
            }
        }
        return entries.sorted { $0.0 < $1.0 }
    }

    /// Keras's evaluate() order: the loss, the per-output losses (several outputs), then
    /// the metrics in compile order.
    var results: [Float] {
        var values = [mean(lossSum)]
        if multiOutput { values += outputLossSums.map(mean) }
        for o in outputLossSums.indices { values += settings.metrics[o].indices.map { rate(o, $0) } }
        return values
    }
}

/// One batch's losses, predictions and output masks.
struct StepResult {
    let loss: Float
    let outputLosses: [Float]
    let predictions: [Tensor]
    let masks: [Tensor?]
}

extension Model {
    /// Trains for `epochs` passes over (x, y) (Keras's `fit`).
    ///
    /// - validationSplit: the last fraction of the samples, taken before shuffling, is held
    ///   out for validation, as in Keras.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1, verbose: Int = 1,
                    validationData: (Tensor, Tensor)? = nil, validationSplit: Float = 0,
                    shuffle: Bool = true) throws -> History {
        try fit([x], [y], batchSize: batchSize, epochs: epochs, verbose: verbose,
                validationData: validationData.map { ([$0.0], [$0.1]) }, validationSplit: validationSplit, shuffle: shuffle)
    }

    /// fit() for models with several inputs or outputs: one array per input and per output.
    @discardableResult
    public func fit(_ x: [Tensor], _ y: [Tensor], batchSize: Int = 32, epochs: Int = 1, verbose: Int = 1,
                    validationData: ([Tensor], [Tensor])? = nil, validationSplit: Float = 0,
                    shuffle: Bool = true) throws -> History {
        let settings = try requireCompiled("fit")
        guard batchSize > 0 else { throw KerasError.invalidArgument("fit: batch_size must be a positive integer, received \(batchSize)") }
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must be >= 0, received \(epochs)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw KerasError.invalidArgument("fit: validation_split must be in [0, 1), received \(validationSplit)")
        }
        var xTrain = try adapt(x, caller: "fit")
        var yTrain = y
        try checkData(xTrain, yTrain, caller: "fit", settings: settings)

        var validation: ([Tensor], [Tensor])?
        if let (xVal, yVal) = validationData {
            let xv = try adapt(xVal, caller: "fit (validation_data)")
            try checkData(xv, yVal, caller: "fit (validation_data)", settings: settings)
            validation = (xv, yVal)
        } else if validationSplit > 0 {
            let n = xTrain[0].shape[0]
            let splitAt = Int((Double(n) * Double(1 - validationSplit)).rounded(.down))
            guard splitAt > 0, splitAt < n else {
                throw KerasError.invalidArgument(
                    "fit: validation_split=\(validationSplit) leaves \(splitAt) training and \(n - splitAt) validation samples out of \(n); both must be non-empty")
            }
            validation = (try xTrain.map { try $0.slice(rows: splitAt..<n) }, try yTrain.map { try $0.slice(rows: splitAt..<n) })
            xTrain = try xTrain.map { try $0.slice(rows: 0..<splitAt) }
            yTrain = try yTrain.map { try $0.slice(rows: 0..<splitAt) }
        }

        let n = xTrain[0].shape[0]
        let steps = (n + batchSize - 1) / batchSize
        let history = History()
        var order = Array(0..<n)
        for epoch in 0..<epochs {
            if verbose > 0 && epochs > 1 { print("Epoch \(epoch + 1)/\(epochs)") }
            if shuffle {
                // Each epoch's order depends only on the generator's position when the epoch
                // starts, so training resumed from a saved model shuffles as an unbroken run.
                var rng = GlobalRandom.makeGenerator()
                order = Array(0..<n)
                order.shuffle(using: &rng)
            }
            var progress = ProgressBar(target: steps, verbose: verbose)
            var totals = EpochAccumulator(settings: settings, outputNames: outputNames)
            for step in 0..<steps {
                let rows = Array(order[(step * batchSize)..<Swift.min(n, (step + 1) * batchSize)])
                let xb = try withoutGradients { try xTrain.map { try $0.gather(rows: rows) } }
                let yb = try withoutGradients { try yTrain.map { try $0.gather(rows: rows) } }
                totals.add(try trainStep(xb, yb, settings: settings), batchSize: rows.count, targets: yb)
                if step + 1 < steps { progress.update(step: step + 1, logs: totals.logs()) }
            }
            var logs = totals.logs()
            if let (xv, yv) = validation {
                logs += try evaluateAccumulated(xv, yv, batchSize: batchSize, settings: settings, verbose: 0)
                    .logs(prefix: "val_")
            }
            progress.update(step: steps, logs: logs)
            progress.epochLine(logs: logs)
            history.append(epoch: epoch, logs: logs)
        }
        return history
    }

    /// The weighted total loss and each output's loss, on the tape.
    /// `extra` holds the layers' own losses (regularizers), which join the total as in Keras.
    func losses(_ outputs: [(output: Tensor, mask: Tensor?)], _ targets: [Tensor],
                settings: CompiledSettings, extra: Tensor? = nil) throws -> (total: Tensor, perOutput: [Tensor]) {
        let perOutput = try zip(settings.losses, zip(targets, outputs)).map { loss, pair in
            try loss(pair.0, pair.1.output, mask: pair.1.mask)
        }
        var total = perOutput[0] * settings.lossWeights[0]
        for o in perOutput.indices.dropFirst() { total = try total + perOutput[o] * settings.lossWeights[o] }
        if let extra { total = try total + extra }
        return (total, perOutput)
    }

    /// One optimizer step on one batch; the losses are those before the update.
    func trainStep(_ x: [Tensor], _ y: [Tensor], settings: CompiledSettings) throws -> StepResult {
        let (outputs, extra) = try callCollectingLosses(x, training: true)
        let (total, perOutput) = try losses(outputs, y, settings: settings, extra: extra)
        let variables = trainableWeights
        let grads = try gradients(of: total, wrt: variables)
        try withoutGradients { try settings.optimizer.apply(gradients: grads, to: variables) }
        return StepResult(loss: total.item, outputLosses: perOutput.map(\.item),
                          predictions: outputs.map(\.output.detached), masks: outputs.map(\.mask))
    }

    /// One optimizer step on one batch (Keras's `train_on_batch`): the loss before the
    /// update (and each output's, for several outputs), then the metrics.
    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor) throws -> [Float] { try trainOnBatch([x], [y]) }

    @discardableResult
    public func trainOnBatch(_ x: [Tensor], _ y: [Tensor]) throws -> [Float] {
        let settings = try requireCompiled("train_on_batch")
        let xb = try adapt(x, caller: "train_on_batch")
        try checkData(xb, y, caller: "train_on_batch", settings: settings)
        var totals = EpochAccumulator(settings: settings, outputNames: outputNames)
        totals.add(try trainStep(xb, y, settings: settings), batchSize: xb[0].shape[0], targets: y)
        return totals.results
    }

    /// The loss and metrics on (x, y): `[loss, metric1, ...]` (Keras's `evaluate`).
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, verbose: Int = 1) throws -> [Float] {
        try evaluate([x], [y], batchSize: batchSize, verbose: verbose)
    }

    /// evaluate() for several inputs or outputs: `[loss, per-output losses..., metrics...]`.
    public func evaluate(_ x: [Tensor], _ y: [Tensor], batchSize: Int = 32, verbose: Int = 1) throws -> [Float] {
        let settings = try requireCompiled("evaluate")
        guard batchSize > 0 else { throw KerasError.invalidArgument("evaluate: batch_size must be a positive integer, received \(batchSize)") }
        let xe = try adapt(x, caller: "evaluate")
        try checkData(xe, y, caller: "evaluate", settings: settings)
        return try evaluateAccumulated(xe, y, batchSize: batchSize, settings: settings, verbose: verbose).results
    }

    func evaluateAccumulated(_ x: [Tensor], _ y: [Tensor], batchSize: Int, settings: CompiledSettings,
                             verbose: Int) throws -> EpochAccumulator {
        let n = x[0].shape[0]
        let steps = (n + batchSize - 1) / batchSize
        var totals = EpochAccumulator(settings: settings, outputNames: outputNames)
        var progress = ProgressBar(target: steps, verbose: verbose == 1 ? 1 : 0)
        try withoutGradients {
            for step in 0..<steps {
                let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                let xb = try x.map { try $0.slice(rows: range) }, yb = try y.map { try $0.slice(rows: range) }
                let (outputs, extra) = try callCollectingLosses(xb, training: false)
                let (total, perOutput) = try losses(outputs, yb, settings: settings, extra: extra)
                let result = StepResult(loss: total.item, outputLosses: perOutput.map(\.item),
                                        predictions: outputs.map(\.output), masks: outputs.map(\.mask))
                totals.add(result, batchSize: range.count, targets: yb)
                progress.update(step: step + 1, logs: totals.logs())
            }
        }
        return totals
    }

    /// The model's output for `x`, computed in batches (Keras's `predict`).
    public func predict(_ x: Tensor, batchSize: Int = 32, verbose: Int = 0) throws -> Tensor {
        let outputs = try predict([x], batchSize: batchSize, verbose: verbose)
        guard outputs.count == 1 else {
            throw KerasError.invalidArgument("predict: model \"\(name)\" has \(outputs.count) outputs; use predict([x]) for all of them")
        }
        return outputs[0]
    }

    /// predict() for several inputs or outputs: one array per output.
    public func predict(_ x: [Tensor], batchSize: Int = 32, verbose: Int = 0) throws -> [Tensor] {
        guard batchSize > 0 else { throw KerasError.invalidArgument("predict: batch_size must be a positive integer, received \(batchSize)") }
        let xp = try adapt(x, caller: "predict")
        try checkFinite(xp, name: "x", caller: "predict")
        let n = xp[0].shape[0]
        let steps = (n + batchSize - 1) / batchSize
        var progress = ProgressBar(target: steps, verbose: verbose)
        // Layer by layer over a whole large batch, the activations outgrow the caches (LeNet at
        // batch 256: 16k images/s; in slices of 64 samples: 26k). A samplewise model gives the
        // same outputs either way, so its batches run in such slices.
        let slice = isSamplewise ? Swift.min(batchSize, 64) : batchSize
        return try withoutGradients {
            var parts: [[Tensor]] = []
            for step in 0..<steps {
                let batchRange = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                for first in stride(from: batchRange.lowerBound, to: batchRange.upperBound, by: slice) {
                    let range = first..<Swift.min(batchRange.upperBound, first + slice)
                    let part = try callWithMasks(try xp.map { try $0.slice(rows: range) }, training: false).map(\.output)
                    if parts.isEmpty { parts = Array(repeating: [], count: part.count) }
                    for (o, values) in part.enumerated() { parts[o].append(values) }
                }
                progress.update(step: step + 1, logs: [])
            }
            return try parts.enumerated().map { o, batches in try joinBatches(batches, output: o) }
        }
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
