/// A metric accumulated over the batches of one pass (Keras's stateful metrics).
///
/// Its whole state is a few sums (`state`), so the states of two parts of a pass add up:
/// data-parallel training sums them across processes before any logs are read. Precision,
/// recall, AUC and the like (true/false positive counts per threshold) fit this shape.
protocol StreamingMetric {
    /// The name in logs ("accuracy", "precision").
    var name: String { get }
    /// Adds one batch. `rowWeights` has one weight per prediction row (0 for padded
    /// timesteps; sample weights, for a weighted metric), or is nil when every row weighs 1.
    mutating func update(yTrue: Tensor, yPred: Tensor, rowWeights: Tensor?)
    /// The value over everything added so far.
    var result: Float { get }
    /// The additive state.
    var state: [Double] { get set }
}

/// Accuracy of one kind: the weight of correct predictions over the weight of all.
struct AccuracyMetric: StreamingMetric {
    let name: String
    let kind: Metric.Kind
    private var correct = 0.0
    private var counted = 0.0

    init(name: String, kind: Metric.Kind) {
        self.name = name
        self.kind = kind
    }

    mutating func update(yTrue: Tensor, yPred: Tensor, rowWeights: Tensor?) {
        let batch = countCorrect(kind, yTrue: yTrue, yPred: yPred, rowWeights: rowWeights)
        correct += batch.correct
        counted += batch.counted
    }

    var result: Float { counted > 0 ? Float(correct / counted) : 0 }

    var state: [Double] {
        get { [correct, counted] }
        set { correct = newValue[0]; counted = newValue[1] }
    }
}

/// The streaming metric for a compiled metric: the one place a new metric kind plugs in.
func makeStreamingMetric(name: String, kind: Metric.Kind) -> any StreamingMetric {
    AccuracyMetric(name: name, kind: kind)
}

/// A mean weighted by batch size (Keras's loss trackers).
struct MeanTracker {
    var total = 0.0
    var count = 0.0
    mutating func add(_ value: Float, weight: Int) {
        total += Double(value) * Double(weight)
        count += Double(weight)
    }
    var result: Float { count > 0 ? Float(total / count) : 0 }
}

/// One batch's losses, predictions and per-row weights.
struct StepResult {
    let loss: Float
    let outputLosses: [Float]
    let predictions: [Tensor]
    /// Per output: the weight of each prediction row in the metrics (the mask of padded steps).
    let rowWeights: [Tensor?]
}

/// The running losses and metrics of one pass over data (an epoch, an evaluation), and the
/// logs made from them.
struct PassMetrics {
    private let lossNames: [String]
    private var loss = MeanTracker()
    private var outputLosses: [MeanTracker]
    private var metrics: [[any StreamingMetric]]
    /// The names under which each output's metrics appear in logs.
    private let metricNames: [[String]]

    init(settings: CompiledSettings, outputNames: [String]) {
        let outputs = settings.losses.count
        let multiOutput = outputs > 1
        let prefixes = (0..<outputs).map { multiOutput ? outputNames[$0] + "_" : "" }
        lossNames = multiOutput ? prefixes.map { $0 + "loss" } : []
        outputLosses = Array(repeating: MeanTracker(), count: multiOutput ? outputs : 0)
        metrics = settings.metrics.map { $0.map { makeStreamingMetric(name: $0.name, kind: $0.kind) } }
        metricNames = settings.metrics.enumerated().map { o, list in list.map { prefixes[o] + $0.name } }
    }

    mutating func add(_ step: StepResult, batchSize: Int, targets: [Tensor]) {
        loss.add(step.loss, weight: batchSize)
        for o in outputLosses.indices { outputLosses[o].add(step.outputLosses[o], weight: batchSize) }
        for o in metrics.indices {
            for i in metrics[o].indices {
                metrics[o][i].update(yTrue: targets[o], yPred: step.predictions[o], rowWeights: step.rowWeights[o])
            }
        }
    }

    /// Every sum behind the logs, in a fixed order: what data-parallel training adds up
    /// across processes (then assigns back) before it makes logs.
    var state: [Double] {
        get {
            [loss.total, loss.count] + outputLosses.flatMap { [$0.total, $0.count] } + metrics.joined().flatMap(\.state)
        }
        set {
            var rest = newValue[...]
            func take(_ n: Int) -> [Double] { defer { rest = rest.dropFirst(n) }; return Array(rest.prefix(n)) }
            let totals = take(2)
            loss = MeanTracker(total: totals[0], count: totals[1])
            for o in outputLosses.indices {
                let sums = take(2)
                outputLosses[o] = MeanTracker(total: sums[0], count: sums[1])
            }
            for o in metrics.indices {
                for i in metrics[o].indices { metrics[o][i].state = take(metrics[o][i].state.count) }
            }
        }
    }

    /// Logs in Keras's order (names sorted). Several outputs add "<output>_loss" and
    /// "<output>_<metric>" entries.
    func logs(prefix: String = "") -> Logs {
        var logs = Logs()
        logs[prefix + "loss"] = loss.result
        for o in outputLosses.indices { logs[prefix + lossNames[o]] = outputLosses[o].result }
        for o in metrics.indices {
            for i in metrics[o].indices { logs[prefix + metricNames[o][i]] = metrics[o][i].result }
        }
        return logs.sortedByKey()
    }

    /// Keras's evaluate() order: the loss, the per-output losses (several outputs), then
    /// the metrics in compile order.
    var results: [Float] {
        [loss.result] + outputLosses.map(\.result) + metrics.joined().map(\.result)
    }
}
