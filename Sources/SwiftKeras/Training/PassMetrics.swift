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
    /// Per output: the compiled metrics, and the metrics they made on the first batch (empty before).
    private let compiled: [[Metric]]
    private var metrics: [[any KerasMetric]]
    /// The names under which each output's metrics appear in logs.
    private let metricNames: [[String]]

    init(settings: CompiledSettings, outputNames: [String]) {
        let outputs = settings.losses.count
        let multiOutput = outputs > 1
        let prefixes = (0..<outputs).map { multiOutput ? outputNames[$0] + "_" : "" }
        lossNames = multiOutput ? prefixes.map { $0 + "loss" } : []
        outputLosses = Array(repeating: MeanTracker(), count: multiOutput ? outputs : 0)
        compiled = settings.metrics
        metrics = Array(repeating: [], count: settings.metrics.count)
        metricNames = settings.metrics.enumerated().map { o, list in list.map { prefixes[o] + $0.name } }
    }

    /// Sums of an interrupted pass for the metrics the first batch makes (a resumed fit).
    private var resumedMetricState: [Double]?

    /// Adds one batch. The first batch makes the metrics (names become metrics, objects are
    /// reset) and checks that each gives one number for the logs.
    mutating func add(_ step: StepResult, batchSize: Int, targets: [Tensor]) throws {
        loss.add(step.loss, weight: batchSize)
        for o in outputLosses.indices { outputLosses[o].add(step.outputLosses[o], weight: batchSize) }
        let first = compiled.indices.contains { !compiled[$0].isEmpty && metrics[$0].isEmpty }
        if first {
            for o in compiled.indices where !compiled[o].isEmpty {
                metrics[o] = try compiled[o].map { try $0.instantiate(yTrue: targets[o], yPred: step.predictions[o]) }
            }
            if let resumed = resumedMetricState {
                resumedMetricState = nil
                let expected = metrics.joined().reduce(0) { $0 + $1.state.count }
                guard resumed.count == expected else {
                    throw KerasError.invalidData(
                        "fit: the backup holds \(resumed.count) metric sums but the compiled metrics have \(expected); resume with the model compiled as when the backup was made")
                }
                var rest = resumed[...]
                for metric in metrics.joined() {
                    let count = metric.state.count
                    metric.state = Array(rest.prefix(count))
                    rest = rest.dropFirst(count)
                }
            }
        }
        for o in compiled.indices where !compiled[o].isEmpty {
            for (i, metric) in metrics[o].enumerated() {
                try metric.updateState(yTrue: targets[o], yPred: step.predictions[o], sampleWeight: step.rowWeights[o])
                if first, metric.result().count != 1 {
                    throw KerasError.invalidArgument(
                        "metric \"\(metricNames[o][i])\" gives \(metric.result().count) values (shape \(shapeString(metric.result().shape))), but logs hold one number per metric; choose a single threshold, or an average for F1Score")
                }
            }
        }
    }

    /// Goes on from the `state` of an interrupted pass of the same compiled model: the
    /// losses' sums at once, the metrics' when the next batch has made them.
    mutating func resume(from saved: [Double]) throws {
        let losses = 2 + 2 * outputLosses.count
        guard saved.count >= losses, metrics.joined().isEmpty else {
            throw KerasError.invalidData(
                "fit: the backup holds \(saved.count) loss and metric sums, fewer than the \(losses) loss sums of the compiled model; resume with the model compiled as when the backup was made")
        }
        state = Array(saved.prefix(losses))
        resumedMetricState = Array(saved.dropFirst(losses))
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
            for metric in metrics.joined() { metric.state = take(metric.state.count) }
        }
    }

    /// The value of each output's metrics, in compile order (nothing before the first batch).
    private var metricValues: [[Float]] { metrics.map { $0.map { $0.result().item } } }

    /// Logs in Keras's order (names sorted). Several outputs add "<output>_loss" and
    /// "<output>_<metric>" entries.
    func logs(prefix: String = "") -> Logs {
        var logs = Logs()
        logs[prefix + "loss"] = loss.result
        for o in outputLosses.indices { logs[prefix + lossNames[o]] = outputLosses[o].result }
        for (o, values) in metricValues.enumerated() {
            for (i, value) in values.enumerated() { logs[prefix + metricNames[o][i]] = value }
        }
        return logs.sortedByKey()
    }

    /// Keras's evaluate() order: the loss, the per-output losses (several outputs), then
    /// the metrics in compile order.
    var results: [Float] {
        [loss.result] + outputLosses.map(\.result) + metricValues.joined()
    }
}
