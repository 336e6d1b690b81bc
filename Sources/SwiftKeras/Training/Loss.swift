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
            let p = y.storage.pointer
            for i in 0..<y.count {
                let label = p[i]
                guard label >= 0, label < Float(classes), label == label.rounded() else {
                    throw KerasError.invalidData(
                        "sparse_categorical_crossentropy: received a label value of \(label) at index \(i), which is outside the valid range of [0, \(classes)) or not an integer")
                }
            }
        default:
            let sameSize = y.count / Swift.max(y.shape.first ?? 1, 1) == predictionShape.dropFirst().reduce(1, *)
            guard sameSize, y.shape.dropFirst().reduce(1, *) == predictionShape.dropFirst().reduce(1, *) else {
                throw KerasError.invalidData(
                    "\(kind.rawValue): labels of shape \(shapeString(y.shape)) do not match predictions of shape \(shapeString(predictionShape))"
                        + (kind == .categoricalCrossentropy ? " (use to_categorical for integer labels, or sparse_categorical_crossentropy)" : ""))
            }
        }
    }

    /// The mean loss over the batch, recorded on the tape.
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let kind = try resolvedKind()
        let epsilon: Float = 1e-7
        switch kind {
        case .categoricalCrossentropy:
            let y = try smoothed(yTrue.reshaped(yPred.shape), classes: yPred.shape.last ?? 1)
            if let logits = logitsInput(yPred, .softmax) {
                return try softmaxCrossentropy(logits: logits, targets: y)
            }
            // Probabilities: renormalize, clip to [eps, 1 - eps], as Keras does.
            let p = try (yPred / yPred.sum(axes: [-1], keepDims: true)).clipped(min: epsilon, max: 1 - epsilon)
            return try -((y * p.log()).sum(axes: [-1]).mean())
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
                return try sigmoidCrossentropy(logits: logits, targets: y)
            }
            let p = yPred.clipped(min: epsilon, max: 1 - epsilon)
            return try -((y * p.log() + (1 - y) * (1 - p).log()).mean())
        case .meanSquaredError:
            return try (yPred - yTrue.reshaped(yPred.shape)).squared().mean()
        case .meanAbsoluteError:
            return try (yPred - yTrue.reshaped(yPred.shape)).abs().mean()
        }
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

/// Mean over rows of -Σ y · log_softmax(z), with the fused gradient (softmax(z) - y) / rows.
func softmaxCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    let logProbs = logits.softmaxKernel(log: true)
    var total: Double = 0
    for i in 0..<logits.count { total -= Double(targets.storage.pointer[i] * logProbs.storage.pointer[i]) }
    let out = Tensor(Float(total / Double(Swift.max(rows, 1))))
    let targetsDetached = targets.detached
    return Tensor.record("softmax_crossentropy", out, inputs: [logits, targets]) { g, needs in
        let scale = g.item / Float(Swift.max(rows, 1))
        var grads: [Tensor?] = [nil, nil]
        if needs[0] {
            let gx = Tensor(uninitializedShape: logits.shape)
            let pg = gx.storage.pointer, pl = logProbs.storage.pointer
            for r in 0..<rows {
                var ySum: Float = 0
                for j in 0..<width { ySum += targetsDetached.storage.pointer[r * width + j] }
                for j in 0..<width {
                    let i = r * width + j
                    pg[i] = scale * (expf(pl[i]) * ySum - targetsDetached.storage.pointer[i])
                }
            }
            grads[0] = gx
        }
        if needs[1] { grads[1] = logProbs * (-scale) }
        return grads
    }
}

/// Mean over rows of -log_softmax(z)[label], with the fused gradient.
func sparseSoftmaxCrossentropy(logits: Tensor, labels: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    guard labels.count == rows else {
        throw KerasError.invalidData("sparse labels: \(labels.count) labels for \(rows) predictions")
    }
    let logProbs = logits.softmaxKernel(log: true)
    var total: Double = 0
    for r in 0..<rows { total -= Double(logProbs.storage.pointer[r * width + Int(labels.storage.pointer[r])]) }
    let out = Tensor(Float(total / Double(Swift.max(rows, 1))))
    return Tensor.record("sparse_softmax_crossentropy", out, inputs: [logits]) { g, _ in
        let scale = g.item / Float(Swift.max(rows, 1))
        let gx = Tensor(uninitializedShape: logits.shape)
        let pg = gx.storage.pointer, pl = logProbs.storage.pointer
        for i in 0..<logits.count { pg[i] = scale * expf(pl[i]) }
        for r in 0..<rows { pg[r * width + Int(labels.storage.pointer[r])] -= scale }
        return [gx]
    }
}

/// Mean of max(z, 0) - z·y + log(1 + exp(-|z|)), the stable sigmoid crossentropy.
func sigmoidCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let n = logits.count
    let pz = logits.storage.pointer, py = targets.storage.pointer
    var total: Double = 0
    for i in 0..<n {
        let z = pz[i]
        total += Double(Swift.max(z, 0) - z * py[i] + log1pf(expf(-Swift.abs(z))))
    }
    let out = Tensor(Float(total / Double(Swift.max(n, 1))))
    let zd = logits.detached, yd = targets.detached
    return Tensor.record("sigmoid_crossentropy", out, inputs: [logits, targets]) { g, needs in
        let scale = g.item / Float(Swift.max(n, 1))
        return [needs[0] ? zd.zipDetached(yd) { scale * (stableSigmoid($0) - $1) } : nil,
                needs[1] ? zd.mapDetached { -scale * $0 } : nil]
    }
}
