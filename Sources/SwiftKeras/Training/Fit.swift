/// Running sums for one pass over data: batch-size-weighted loss and correct counts.
struct EpochAccumulator {
    var lossSum: Double = 0
    var samples = 0
    var correct: [Int]
    var counted: [Int]
    let metrics: [(name: String, kind: Metric.Kind)]

    init(metrics: [(name: String, kind: Metric.Kind)]) {
        self.metrics = metrics
        correct = Array(repeating: 0, count: metrics.count)
        counted = Array(repeating: 0, count: metrics.count)
    }

    mutating func add(loss: Float, batchSize: Int, yTrue: Tensor, yPred: Tensor, mask: Tensor?) {
        lossSum += Double(loss) * Double(batchSize)
        samples += batchSize
        for (i, metric) in metrics.enumerated() {
            let (right, total) = countCorrect(metric.kind, yTrue: yTrue, yPred: yPred, mask: mask)
            correct[i] += right
            counted[i] += total
        }
    }

    /// Logs in Keras's order: names sorted alphabetically.
    func logs(prefix: String = "") -> [(String, Float)] {
        var entries: [(String, Float)] = [(prefix + "loss", Float(lossSum / Double(Swift.max(samples, 1))))]
        for (i, metric) in metrics.enumerated() {
            entries.append((prefix + metric.name, Float(Double(correct[i]) / Double(Swift.max(counted[i], 1)))))
        }
        return entries.sorted { $0.0 < $1.0 }
    }

    /// Keras's evaluate() order: loss first, then metrics in compile order.
    var results: [Float] {
        [Float(lossSum / Double(Swift.max(samples, 1)))]
            + metrics.indices.map { Float(Double(correct[$0]) / Double(Swift.max(counted[$0], 1))) }
    }
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
        let settings = try requireCompiled("fit")
        guard batchSize > 0 else { throw KerasError.invalidArgument("fit: batch_size must be a positive integer, received \(batchSize)") }
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must be >= 0, received \(epochs)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw KerasError.invalidArgument("fit: validation_split must be in [0, 1), received \(validationSplit)")
        }
        var xTrain = try adapt(x, caller: "fit")
        var yTrain = y
        try checkData(xTrain, yTrain, caller: "fit", loss: settings.loss)

        var validation: (Tensor, Tensor)?
        if let (xVal, yVal) = validationData {
            let xv = try adapt(xVal, caller: "fit (validation_data)")
            try checkData(xv, yVal, caller: "fit (validation_data)", loss: settings.loss)
            validation = (xv, yVal)
        } else if validationSplit > 0 {
            let n = xTrain.shape[0]
            let splitAt = Int((Double(n) * Double(1 - validationSplit)).rounded(.down))
            guard splitAt > 0, splitAt < n else {
                throw KerasError.invalidArgument(
                    "fit: validation_split=\(validationSplit) leaves \(splitAt) training and \(n - splitAt) validation samples out of \(n); both must be non-empty")
            }
            validation = (try xTrain.slice(rows: splitAt..<n), try yTrain.slice(rows: splitAt..<n))
            xTrain = try xTrain.slice(rows: 0..<splitAt)
            yTrain = try yTrain.slice(rows: 0..<splitAt)
        }

        let n = xTrain.shape[0]
        let steps = (n + batchSize - 1) / batchSize
        let history = History()
        var rng = GlobalRandom.makeGenerator()
        var order = Array(0..<n)
        for epoch in 0..<epochs {
            if verbose > 0 && epochs > 1 { print("Epoch \(epoch + 1)/\(epochs)") }
            if shuffle { order.shuffle(using: &rng) }
            var progress = ProgressBar(target: steps, verbose: verbose)
            var totals = EpochAccumulator(metrics: settings.metrics)
            for step in 0..<steps {
                let rows = Array(order[(step * batchSize)..<Swift.min(n, (step + 1) * batchSize)])
                let xb = try withoutGradients { try xTrain.gather(rows: rows) }
                let yb = try withoutGradients { try yTrain.gather(rows: rows) }
                let (loss, prediction, mask) = try trainStep(xb, yb, settings: settings)
                totals.add(loss: loss, batchSize: rows.count, yTrue: yb, yPred: prediction, mask: mask)
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

    /// One optimizer step on one batch; returns the loss before the update, the
    /// predictions and their mask.
    func trainStep(_ x: Tensor, _ y: Tensor, settings: CompiledSettings) throws -> (Float, Tensor, Tensor?) {
        let (prediction, mask) = try callWithMask(x, training: true)
        let loss = try settings.loss(y, prediction, mask: mask)
        let variables = trainableWeights
        let grads = try gradients(of: loss, wrt: variables)
        try withoutGradients { try settings.optimizer.apply(gradients: grads, to: variables) }
        return (loss.item, prediction.detached, mask)
    }

    /// One optimizer step on one batch (Keras's `train_on_batch`): the loss before the
    /// update, then the metrics.
    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor) throws -> [Float] {
        let settings = try requireCompiled("train_on_batch")
        let xb = try adapt(x, caller: "train_on_batch")
        try checkData(xb, y, caller: "train_on_batch", loss: settings.loss)
        let (loss, prediction, mask) = try trainStep(xb, y, settings: settings)
        var totals = EpochAccumulator(metrics: settings.metrics)
        totals.add(loss: loss, batchSize: xb.shape[0], yTrue: y, yPred: prediction, mask: mask)
        return totals.results
    }

    /// The loss and metrics on (x, y): `[loss, metric1, ...]` (Keras's `evaluate`).
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, verbose: Int = 1) throws -> [Float] {
        let settings = try requireCompiled("evaluate")
        guard batchSize > 0 else { throw KerasError.invalidArgument("evaluate: batch_size must be a positive integer, received \(batchSize)") }
        let xe = try adapt(x, caller: "evaluate")
        try checkData(xe, y, caller: "evaluate", loss: settings.loss)
        return try evaluateAccumulated(xe, y, batchSize: batchSize, settings: settings, verbose: verbose).results
    }

    func evaluateAccumulated(_ x: Tensor, _ y: Tensor, batchSize: Int, settings: CompiledSettings,
                             verbose: Int) throws -> EpochAccumulator {
        let n = x.shape[0]
        let steps = (n + batchSize - 1) / batchSize
        var totals = EpochAccumulator(metrics: settings.metrics)
        var progress = ProgressBar(target: steps, verbose: verbose == 1 ? 1 : 0)
        try withoutGradients {
            for step in 0..<steps {
                let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                let xb = try x.slice(rows: range), yb = try y.slice(rows: range)
                let (prediction, mask) = try callWithMask(xb, training: false)
                let loss = try settings.loss(yb, prediction, mask: mask)
                totals.add(loss: loss.item, batchSize: range.count, yTrue: yb, yPred: prediction, mask: mask)
                progress.update(step: step + 1, logs: totals.logs())
            }
        }
        return totals
    }

    /// The model's outputs for `x`, computed in batches (Keras's `predict`).
    public func predict(_ x: Tensor, batchSize: Int = 32, verbose: Int = 0) throws -> Tensor {
        guard batchSize > 0 else { throw KerasError.invalidArgument("predict: batch_size must be a positive integer, received \(batchSize)") }
        let xp = try adapt(x, caller: "predict")
        try checkFinite(xp, what: "x", caller: "predict")
        let n = xp.shape[0]
        let steps = (n + batchSize - 1) / batchSize
        var progress = ProgressBar(target: steps, verbose: verbose)
        return try withoutGradients {
            var output: Tensor?
            var rowSize = 0
            for step in 0..<steps {
                let range = (step * batchSize)..<Swift.min(n, (step + 1) * batchSize)
                let batch = try call(xp.slice(rows: range), training: false)
                if output == nil {
                    rowSize = batch.count / Swift.max(range.count, 1)
                    output = Tensor(uninitializedShape: [n] + Array(batch.shape.dropFirst()))
                }
                output!.withMutableData { ($0 + range.lowerBound * rowSize).update(from: batch.storage.pointer, count: batch.count) }
                progress.update(step: step + 1, logs: [])
            }
            guard let output else {
                throw KerasError.invalidData("predict: x is empty (received shape \(shapeString(x.shape)))")
            }
            return output
        }
    }

    // MARK: Input checks shared by fit, evaluate and predict

    /// Builds the model if needed and fits `x` to its input shape. As Keras does, a missing
    /// trailing channel axis of size 1 is added: (N, 28, 28) feeds a (28, 28, 1) model.
    func adapt(_ x: Tensor, caller: String) throws -> Tensor {
        guard x.rank >= 1, x.shape[0] > 0 else {
            throw KerasError.invalidData("\(caller): x is empty (received shape \(shapeString(x.shape))); at least one sample is needed")
        }
        var input = x
        if let expected = inputShape, Array(x.shape.dropFirst()) + [1] == expected {
            input = try x.reshaped(x.shape + [1])
        }
        try prepare(input)
        try layers.first?.validateData(input)
        return input
    }

    func checkData(_ x: Tensor, _ y: Tensor, caller: String, loss: Loss) throws {
        guard y.rank >= 1, y.shape[0] == x.shape[0] else {
            throw KerasError.invalidData(
                "\(caller): data cardinality is ambiguous: x has \(x.shape[0]) samples (shape \(shapeString(x.shape))) but y has \(y.rank == 0 ? 0 : y.shape[0]) (shape \(shapeString(y.shape))). Make sure all arrays contain the same number of samples.")
        }
        try checkFinite(x, what: "x", caller: caller)
        try checkFinite(y, what: "y", caller: caller)
        let outputShape = try build(inputShape: Array(x.shape.dropFirst()))
        try loss.validate(labels: y, predictionShape: [x.shape[0]] + outputShape)
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
