/// The mean over rows of the mean absolute error along the last axis (Keras's `MeanAbsoluteError`, "mae").
public final class MeanAbsoluteError: MeanMetricWrapper {
    public init(name: String = "mean_absolute_error") {
        super.init(name: name, direction: .down)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try addRowMeans(self, yTrue: yTrue, yPred: yPred, sampleWeight: sampleWeight) { Swift.abs($0) }
    }
}

/// The mean over rows of the mean squared error along the last axis (Keras's `MeanSquaredError`, "mse").
public final class MeanSquaredError: MeanMetricWrapper {
    public init(name: String = "mean_squared_error") {
        super.init(name: name, direction: .down)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try addRowMeans(self, yTrue: yTrue, yPred: yPred, sampleWeight: sampleWeight) { $0 * $0 }
    }
}

/// The square root of the mean squared error over everything seen (Keras's `RootMeanSquaredError`).
public final class RootMeanSquaredError: MeanMetricWrapper {
    public init(name: String = "root_mean_squared_error") {
        super.init(name: name, direction: .down)
    }

    public override func updateState(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?) throws {
        try addRowMeans(self, yTrue: yTrue, yPred: yPred, sampleWeight: sampleWeight) { $0 * $0 }
    }

    public override func result() -> Tensor { Tensor(Float(mean.result.squareRoot())) }
}

/// Adds the mean of `error(yPred - yTrue)` along each row, weighted per row. The targets pair
/// with the predictions as Keras's `squeeze_or_expand_to_same_rank` pairs them.
private func addRowMeans(_ metric: MeanMetricWrapper, yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?,
                         _ error: (Double) -> Double) throws {
    guard yTrue.count == yPred.count, shapesPair(yTrue.shape, yPred.shape) else {
        throw metricShapeError(metric.name, expected: "targets of the shape of y_pred", yTrue: yTrue, yPred: yPred)
    }
    let rows = PredictionRows(yPred)
    let weights = try RowWeights(sampleWeight, rows: rows.rows, samples: rows.samples, metric: metric.name, yPred: yPred)
    let t = yTrue.storage.pointer, p = yPred.storage.pointer
    let width = rows.width
    metric.mean.add(rows: rows.rows, weights: weights) { r in
        var sum = 0.0
        for i in r * width..<(r + 1) * width { sum += error(Double(p[i]) - Double(t[i])) }
        return sum / Double(width)
    }
}
