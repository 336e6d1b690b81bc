import Glibc

/// A loss function, written `.sparseCategoricalCrossentropy` or as Keras's string.
///
/// Every loss returns the mean over the batch ("sum_over_batch_size", Keras's default).
/// Crossentropies on the output of a softmax or sigmoid work from its logits, as Keras does.
public struct Loss: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        case binaryCrossentropy = "binary_crossentropy"
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
    }

    /// nil when the name given was not a Keras loss; compile-time use reports it.
    public let kind: Kind?
    public let name: String
    public var fromLogits: Bool
    public var labelSmoothing: Float

    public init(_ kind: Kind, fromLogits: Bool = false, labelSmoothing: Float = 0) {
        self.kind = kind
        self.name = kind.rawValue
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
    }

    public init(stringLiteral value: String) {
        let aliases: [String: Kind] = ["mse": .meanSquaredError, "mae": .meanAbsoluteError]
        kind = Kind(rawValue: value) ?? aliases[value]
        name = value
        fromLogits = false
        labelSmoothing = 0
    }

    public static let categoricalCrossentropy = Loss(.categoricalCrossentropy)
    public static let sparseCategoricalCrossentropy = Loss(.sparseCategoricalCrossentropy)
    public static let binaryCrossentropy = Loss(.binaryCrossentropy)
    public static let meanSquaredError = Loss(.meanSquaredError)
    public static let meanAbsoluteError = Loss(.meanAbsoluteError)
    public static let mse = meanSquaredError
    public static let mae = meanAbsoluteError

    public static func categoricalCrossentropy(fromLogits: Bool = false, labelSmoothing: Float = 0) -> Loss {
        Loss(.categoricalCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing)
    }
    public static func sparseCategoricalCrossentropy(fromLogits: Bool = false) -> Loss {
        Loss(.sparseCategoricalCrossentropy, fromLogits: fromLogits)
    }
    public static func binaryCrossentropy(fromLogits: Bool = false, labelSmoothing: Float = 0) -> Loss {
        Loss(.binaryCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing)
    }

    public var description: String { name }

    func resolvedKind() throws -> Kind {
        guard let kind else {
            throw KerasError.invalidArgument(
                "Could not interpret loss identifier: '\(name)' (expected one of: "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ", mse, mae)")
        }
        return kind
    }

    /// Checks labels against predictions before training: shapes and, for sparse labels,
    /// the class range. Runs once per fit/evaluate call over all labels.
    func validate(labels y: Tensor, predictionShape: [Int]) throws {
        let kind = try resolvedKind()
        let classes = predictionShape.last ?? 1
        switch kind {
        case .sparseCategoricalCrossentropy:
            let expected = Array(predictionShape.dropLast())
            guard y.shape.dropFirst() == expected.dropFirst() || y.shape.dropFirst() == (expected.dropFirst() + [1]) else {
                throw KerasError.invalidData(
                    "sparse_categorical_crossentropy: labels of shape \(shapeString(y.shape)) do not fit predictions of shape \(shapeString(predictionShape)); expected integer labels of shape \(shapeString(expected))")
            }
            try checkSparseLabels(y, classes: classes)
        default:
            let sameSize = y.count / Swift.max(y.shape.first ?? 1, 1) == predictionShape.dropFirst().reduce(1, *)
            guard sameSize, y.shape.dropFirst().reduce(1, *) == predictionShape.dropFirst().reduce(1, *) else {
                throw KerasError.invalidData(
                    "\(kind.rawValue): labels of shape \(shapeString(y.shape)) do not match predictions of shape \(shapeString(predictionShape))"
                        + (kind == .categoricalCrossentropy ? " (use to_categorical for integer labels, or sparse_categorical_crossentropy)" : ""))
            }
        }
    }

    /// The mean loss over the batch, recorded on the tape. With a `mask` of padded
    /// timesteps (batch, time), masked steps are left out and the mean is over the rest,
    /// as Keras does. `sampleWeight` (one per sample, or per timestep) weighs each row's
    /// loss; as in Keras the weighted sum is still divided by the number of rows.
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor, mask: Tensor? = nil, sampleWeight: Tensor? = nil) throws -> Tensor {
        let losses = try perRowLosses(yTrue, yPred)
        if let mask, mask.count != losses.count {
            throw KerasError.invalidData(
                "\(name): mask of shape \(shapeString(mask.shape)) does not match predictions of shape \(shapeString(yPred.shape))")
        }
        guard let weights = try rowWeights(mask: mask, sampleWeight: sampleWeight, rows: losses.count) else {
            return try losses.mean()
        }
        let divisor = try mask.map { Swift.max(try $0.detached.sum().item, 1) } ?? Float(losses.count)
        return try (losses * weights.reshaped(losses.shape)).sum() * (1 / divisor)
    }

    /// One loss per prediction row (every axis but the last), on the tape.
    func perRowLosses(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let kind = try resolvedKind()
        let epsilon: Float = 1e-7
        let rows = yPred.count / Swift.max(yPred.shape.last ?? 1, 1)
        switch kind {
        case .categoricalCrossentropy:
            let y = try smoothed(yTrue.reshaped(yPred.shape), classes: yPred.shape.last ?? 1)
            if let logits = logitsInput(yPred, .softmax) {
                return try softmaxCrossentropy(logits: logits, targets: y)
            }
            // Probabilities: renormalize, clip to [eps, 1 - eps], as Keras does.
            let p = try (yPred / yPred.sum(axes: [-1], keepDims: true)).clipped(min: epsilon, max: 1 - epsilon)
            return try -((y * p.log()).sum(axes: [-1]).reshaped([rows]))
        case .sparseCategoricalCrossentropy:
            let labels = yTrue.detached
            if let logits = logitsInput(yPred, .softmax) {
                return try sparseSoftmaxCrossentropy(logits: logits, labels: labels)
            }
            // Keras clips the probabilities and treats their logs as logits.
            let p = yPred.clipped(min: epsilon, max: 1 - epsilon)
            return try sparseSoftmaxCrossentropy(logits: p.log(), labels: labels)
        case .binaryCrossentropy:
            let y = try smoothed(yTrue.reshaped(yPred.shape), classes: 2)
            if let logits = logitsInput(yPred, .sigmoid) {
                return try rowMeans(sigmoidCrossentropy(logits: logits, targets: y), rows: rows)
            }
            let p = yPred.clipped(min: epsilon, max: 1 - epsilon)
            return try rowMeans(-(y * p.log() + (1 - y) * (1 - p).log()), rows: rows)
        case .meanSquaredError:
            return try rowMeans((yPred - yTrue.reshaped(yPred.shape)).squared(), rows: rows)
        case .meanAbsoluteError:
            return try rowMeans((yPred - yTrue.reshaped(yPred.shape)).abs(), rows: rows)
        }
    }

    /// Means over the last axis, as a (rows) vector.
    private func rowMeans(_ x: Tensor, rows: Int) throws -> Tensor {
        try x.reshaped([rows, -1]).mean(axes: [1])
    }

    /// The logits behind `yPred` when the loss should use them.
    private func logitsInput(_ yPred: Tensor, _ kind: LogitsSource.Kind) -> Tensor? {
        if fromLogits { return yPred }
        if let source = yPred.logitsSource, source.kind == kind { return source.logits }
        return nil
    }

    private func smoothed(_ y: Tensor, classes: Int) -> Tensor {
        guard labelSmoothing > 0 else { return y }
        return y * (1 - labelSmoothing) + labelSmoothing / Float(classes)
    }
}

/// Per row: -Σ y · log_softmax(z), with the fused gradient softmax(z)·Σy - y.
func softmaxCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    let logProbs = logits.softmaxKernel(log: true)
    let out = Tensor(uninitializedShape: [rows])
    let pt = targets.storage.pointer, plp = logProbs.storage.pointer, po = out.storage.pointer
    parallelFor(rows: rows, width: width) { chunk in
        for r in chunk {
            var total: Float = 0
            for j in 0..<width { total -= pt[r * width + j] * plp[r * width + j] }
            po[r] = total
        }
    }
    let targetsDetached = targets.detached
    return Tensor.record("softmax_crossentropy", out, inputs: [logits, targets]) { g, needs in
        var grads: [Tensor?] = [nil, nil]
        let pl = logProbs.storage.pointer, py = targetsDetached.storage.pointer, pgr = g.storage.pointer
        if needs[0] {
            let gx = Tensor(uninitializedShape: logits.shape)
            let pg = gx.storage.pointer
            parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
                for r in chunk {
                    var ySum: Float = 0
                    for j in 0..<width { ySum += py[r * width + j] }
                    for j in 0..<width {
                        let i = r * width + j
                        pg[i] = pgr[r] * (expf(pl[i]) * ySum - py[i])
                    }
                }
            }
            grads[0] = gx
        }
        if needs[1] {
            let gy = Tensor(uninitializedShape: logits.shape)
            let pgy = gy.storage.pointer
            parallelFor(elements: logits.count) { range in
                for i in range { pgy[i] = -pgr[i / width] * pl[i] }
            }
            grads[1] = gy
        }
        return grads
    }
}

/// Throws unless every label is an integer in [0, classes): the labels index into the rows
/// of the predictions, in the loss and in its gradient.
func checkSparseLabels(_ labels: Tensor, classes: Int) throws {
    let p = labels.storage.pointer
    for i in 0..<labels.count {
        let label = p[i]
        guard label >= 0, label < Float(classes), label == label.rounded() else {
            throw KerasError.invalidData(
                "sparse_categorical_crossentropy: received a label value of \(label) at index \(i), which is outside the valid range of [0, \(classes)) or not an integer")
        }
    }
}

/// Per row: -log_softmax(z)[label], with the fused gradient softmax(z) - onehot(label).
func sparseSoftmaxCrossentropy(logits: Tensor, labels: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    guard labels.count == rows else {
        throw KerasError.invalidData(
            "sparse_categorical_crossentropy: \(labels.count) labels (shape \(shapeString(labels.shape))) for \(rows) predictions (shape \(shapeString(logits.shape)))")
    }
    try checkSparseLabels(labels, classes: width)
    let logProbs = logits.softmaxKernel(log: true)
    let out = Tensor(uninitializedShape: [rows])
    let plp = logProbs.storage.pointer, pl = labels.storage.pointer, po = out.storage.pointer
    for r in 0..<rows { po[r] = -plp[r * width + Int(pl[r])] }
    return Tensor.record("sparse_softmax_crossentropy", out, inputs: [logits]) { g, _ in
        let gx = Tensor(uninitializedShape: logits.shape)
        let pg = gx.storage.pointer, pgr = g.storage.pointer, plp = logProbs.storage.pointer, pl = labels.storage.pointer
        parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
            for r in chunk {
                for j in 0..<width { pg[r * width + j] = pgr[r] * expf(plp[r * width + j]) }
                pg[r * width + Int(pl[r])] -= pgr[r]
            }
        }
        return [gx]
    }
}

/// Elementwise max(z, 0) - z·y + log(1 + exp(-|z|)), the stable sigmoid crossentropy.
func sigmoidCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let out = logits.zipDetached(targets) { z, y in Swift.max(z, 0) - z * y + log1pf(expf(-Swift.abs(z))) }
    let zd = logits.detached, yd = targets.detached
    return Tensor.record("sigmoid_crossentropy", out, inputs: [logits, targets]) { g, needs in
        [needs[0] ? try (g * zd.zipDetached(yd) { stableSigmoid($0) - $1 }) : nil,
         needs[1] ? try (g * zd.mapDetached { -$0 }) : nil]
    }
}
