import Glibc

/// A loss function, written `.sparseCategoricalCrossentropy`, `.huber(delta: 2)` or as
/// Keras's string ("huber", "kld", "BinaryFocalCrossentropy").
///
/// By default a loss returns the mean over the batch ("sum_over_batch_size", Keras's default);
/// `reduction` chooses another of Keras's reductions. Crossentropies on the output of a
/// softmax or sigmoid work from its logits, as Keras does.
///
/// The per-sample formulas live beside this file: crossentropies and focal crossentropies
/// (`Crossentropies.swift`), elementwise regression, probabilistic and hinge losses
/// (`ElementwiseLosses.swift`), and the row-wise ones (`RowLosses.swift`).
public struct Loss: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        case binaryCrossentropy = "binary_crossentropy"
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
        case meanAbsolutePercentageError = "mean_absolute_percentage_error"
        case meanSquaredLogarithmicError = "mean_squared_logarithmic_error"
        case huber
        case logCosh = "log_cosh"
        case klDivergence = "kl_divergence"
        case poisson
        case hinge
        case squaredHinge = "squared_hinge"
        case categoricalHinge = "categorical_hinge"
        case cosineSimilarity = "cosine_similarity"
        case categoricalFocalCrossentropy = "categorical_focal_crossentropy"
        case binaryFocalCrossentropy = "binary_focal_crossentropy"

        /// Keras's class name ("Huber", "KLDivergence").
        public var className: String {
            switch self {
            case .klDivergence: return "KLDivergence"
            default:
                return rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            }
        }

        /// Every string Keras's `losses.get` takes for this loss: the function name, the
        /// class name and Keras's abbreviations.
        var names: [String] {
            let aliases: [Kind: [String]] = [
                .binaryCrossentropy: ["bce", "BCE"], .meanSquaredError: ["mse", "MSE"], .meanAbsoluteError: ["mae", "MAE"],
                .meanAbsolutePercentageError: ["mape", "MAPE"], .meanSquaredLogarithmicError: ["msle", "MSLE"],
                .klDivergence: ["kld", "KLD"],
            ]
            return [rawValue, className] + (aliases[self] ?? [])
        }

        static let byName: [String: Kind] = Dictionary(allCases.flatMap { kind in kind.names.map { ($0, kind) } },
                                                       uniquingKeysWith: { first, _ in first })
    }

    /// How the losses of a batch's rows become the loss (Keras's `reduction`).
    public enum Reduction: String, Sendable, CaseIterable {
        /// The sum over the rows divided by their number (Keras's default).
        case sumOverBatchSize = "sum_over_batch_size"
        /// The same as `sumOverBatchSize`, as in Keras.
        case mean
        /// The weighted sum divided by the sum of the weights.
        case meanWithSampleWeight = "mean_with_sample_weight"
        case sum
        /// No reduction: one loss per row (shape of the predictions without the last axis).
        case none
    }

    /// nil when the name given was not a Keras loss; compile-time use reports it.
    public let kind: Kind?
    public let name: String
    public var fromLogits: Bool
    public var labelSmoothing: Float
    public var reduction: Reduction = .sumOverBatchSize
    /// Huber: where the loss turns from quadratic to linear.
    public var delta: Float = 1
    /// Focal crossentropies: the weight of the positive class (binary: with
    /// `applyClassBalancing`) and the focusing exponent.
    public var alpha: Float = 0.25
    public var gamma: Float = 2
    /// Binary focal crossentropy: weighs positives by `alpha`, negatives by `1 - alpha`.
    public var applyClassBalancing = false
    /// Cosine similarity: the axis along which the similarity is taken.
    public var axis = -1

    public init(_ kind: Kind, fromLogits: Bool = false, labelSmoothing: Float = 0, reduction: Reduction = .sumOverBatchSize) {
        self.kind = kind
        self.name = kind.rawValue
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.reduction = reduction
    }

    public init(stringLiteral value: String) {
        kind = Kind.byName[value]
        name = value
        fromLogits = false
        labelSmoothing = 0
    }

    public static let categoricalCrossentropy = Loss(.categoricalCrossentropy)
    public static let sparseCategoricalCrossentropy = Loss(.sparseCategoricalCrossentropy)
    public static let binaryCrossentropy = Loss(.binaryCrossentropy)
    public static let meanSquaredError = Loss(.meanSquaredError)
    public static let meanAbsoluteError = Loss(.meanAbsoluteError)
    public static let meanAbsolutePercentageError = Loss(.meanAbsolutePercentageError)
    public static let meanSquaredLogarithmicError = Loss(.meanSquaredLogarithmicError)
    public static let mse = meanSquaredError
    public static let mae = meanAbsoluteError
    public static let mape = meanAbsolutePercentageError
    public static let msle = meanSquaredLogarithmicError
    public static let huber = Loss(.huber)
    public static let logCosh = Loss(.logCosh)
    public static let klDivergence = Loss(.klDivergence)
    public static let kld = klDivergence
    public static let poisson = Loss(.poisson)
    public static let hinge = Loss(.hinge)
    public static let squaredHinge = Loss(.squaredHinge)
    public static let categoricalHinge = Loss(.categoricalHinge)
    public static let cosineSimilarity = Loss(.cosineSimilarity)
    public static let categoricalFocalCrossentropy = Loss(.categoricalFocalCrossentropy)
    public static let binaryFocalCrossentropy = Loss(.binaryFocalCrossentropy)

    public static func categoricalCrossentropy(fromLogits: Bool = false, labelSmoothing: Float = 0,
                                               reduction: Reduction = .sumOverBatchSize) -> Loss {
        Loss(.categoricalCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing, reduction: reduction)
    }
    public static func sparseCategoricalCrossentropy(fromLogits: Bool = false, reduction: Reduction = .sumOverBatchSize) -> Loss {
        Loss(.sparseCategoricalCrossentropy, fromLogits: fromLogits, reduction: reduction)
    }
    public static func binaryCrossentropy(fromLogits: Bool = false, labelSmoothing: Float = 0,
                                          reduction: Reduction = .sumOverBatchSize) -> Loss {
        Loss(.binaryCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing, reduction: reduction)
    }
    /// Huber loss: ½e² where |e| ≤ delta, delta·(|e| − ½delta) beyond.
    public static func huber(delta: Float = 1, reduction: Reduction = .sumOverBatchSize) -> Loss {
        var loss = Loss(.huber, reduction: reduction)
        loss.delta = delta
        return loss
    }
    public static func cosineSimilarity(axis: Int = -1, reduction: Reduction = .sumOverBatchSize) -> Loss {
        var loss = Loss(.cosineSimilarity, reduction: reduction)
        loss.axis = axis
        return loss
    }
    /// Focal crossentropy over one-hot (or soft) labels: Σ −alpha·(1 − p)^gamma · y·log p.
    public static func categoricalFocalCrossentropy(alpha: Float = 0.25, gamma: Float = 2, fromLogits: Bool = false,
                                                    labelSmoothing: Float = 0, reduction: Reduction = .sumOverBatchSize) -> Loss {
        var loss = Loss(.categoricalFocalCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing, reduction: reduction)
        loss.alpha = alpha
        loss.gamma = gamma
        return loss
    }
    /// Focal crossentropy of binary labels: (1 − p_t)^gamma · crossentropy, optionally
    /// weighted by alpha for positives and 1 − alpha for negatives.
    public static func binaryFocalCrossentropy(applyClassBalancing: Bool = false, alpha: Float = 0.25, gamma: Float = 2,
                                               fromLogits: Bool = false, labelSmoothing: Float = 0,
                                               reduction: Reduction = .sumOverBatchSize) -> Loss {
        var loss = Loss(.binaryFocalCrossentropy, fromLogits: fromLogits, labelSmoothing: labelSmoothing, reduction: reduction)
        loss.applyClassBalancing = applyClassBalancing
        loss.alpha = alpha
        loss.gamma = gamma
        return loss
    }
    /// Any other loss with a reduction: `.loss(.poisson, reduction: .sum)`.
    public static func loss(_ kind: Kind, reduction: Reduction) -> Loss { Loss(kind, reduction: reduction) }

    public var description: String { name }

    /// The kind, after checking the name and the arguments (run by compile).
    func resolvedKind() throws -> Kind {
        guard let kind else {
            throw KerasError.invalidArgument(
                "Could not interpret loss identifier: '\(name)' (expected one of: "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ", or their class names or abbreviations)")
        }
        func bad(_ argument: String, _ value: Any, _ expected: String) -> KerasError {
            .invalidArgument("\(kind.className): \(argument) must be \(expected), received \(argument)=\(value)")
        }
        guard labelSmoothing >= 0, labelSmoothing <= 1 else { throw bad("label_smoothing", labelSmoothing, "in [0, 1]") }
        switch kind {
        case .huber:
            guard delta > 0, delta.isFinite else { throw bad("delta", delta, "a positive number") }
        case .categoricalFocalCrossentropy, .binaryFocalCrossentropy:
            guard gamma >= 0, gamma.isFinite else { throw bad("gamma", gamma, "a non-negative number") }
            guard alpha >= 0, alpha <= 1 else { throw bad("alpha", alpha, "in [0, 1]") }
        default: break
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
                let categorical = kind == .categoricalCrossentropy || kind == .categoricalFocalCrossentropy || kind == .categoricalHinge
                throw KerasError.invalidData(
                    "\(kind.rawValue): labels of shape \(shapeString(y.shape)) do not match predictions of shape \(shapeString(predictionShape))"
                        + (categorical ? " (use to_categorical for integer labels, or sparse_categorical_crossentropy)" : ""))
            }
        }
    }

    /// The loss of a batch, reduced as `reduction` says, recorded on the tape. With a `mask`
    /// of padded timesteps (batch, time), masked steps are left out and the mean is over the
    /// rest, as Keras does. `sampleWeight` (one per sample, or per timestep) weighs each
    /// row's loss; as in Keras the weighted sum is still divided by the number of rows
    /// (`meanWithSampleWeight` divides by the sum of the weights instead).
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor, mask: Tensor? = nil, sampleWeight: Tensor? = nil) throws -> Tensor {
        let losses = try perRowLosses(yTrue, yPred)
        if let mask, mask.count != losses.count {
            throw KerasError.invalidData(
                "\(name): mask of shape \(shapeString(mask.shape)) does not match predictions of shape \(shapeString(yPred.shape))")
        }
        let weights = try rowWeights(mask: mask, sampleWeight: sampleWeight, rows: losses.count)
        let weighted = try weights.map { try losses * $0.reshaped(losses.shape) } ?? losses
        switch reduction {
        case .none:
            return try weighted.reshaped(rowShape(yPred))
        case .sum:
            return try weighted.sum()
        case .meanWithSampleWeight:
            let divisor = weights.map { $0.sumScalar } ?? Float(losses.count)
            return try weighted.sum() * (divisor == 0 ? 0 : 1 / divisor)
        case .sumOverBatchSize, .mean:
            guard weights != nil else { return try losses.mean() }
            let divisor = mask.map { $0.sumScalar } ?? Float(losses.count)
            return try weighted.sum() * (divisor == 0 ? 0 : 1 / divisor)
        }
    }

    /// The shape of the per-row losses: the predictions' without the last axis (cosine
    /// similarity: without its axis).
    private func rowShape(_ yPred: Tensor) -> [Int] {
        guard kind == .cosineSimilarity, yPred.rank > 0 else { return Array(yPred.shape.dropLast()) }
        var shape = yPred.shape
        shape.remove(at: axis < 0 ? axis + yPred.rank : axis)
        return shape
    }

    /// One loss per prediction row (every axis but the last), as a vector on the tape.
    func perRowLosses(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let kind = try resolvedKind()
        if kind != .sparseCategoricalCrossentropy, yTrue.count != yPred.count {
            throw KerasError.invalidData(
                "\(name): labels of shape \(shapeString(yTrue.shape)) do not match predictions of shape \(shapeString(yPred.shape))")
        }
        let rows = yPred.count / Swift.max(yPred.shape.last ?? 1, 1)
        switch kind {
        case .categoricalCrossentropy:
            return try categoricalCrossentropyRows(yTrue, yPred, rows: rows)
        case .sparseCategoricalCrossentropy:
            return try sparseCategoricalCrossentropyRows(yTrue, yPred)
        case .binaryCrossentropy:
            return try binaryCrossentropyRows(yTrue, yPred, rows: rows)
        case .categoricalFocalCrossentropy:
            return try categoricalFocalCrossentropyRows(yTrue, yPred, rows: rows)
        case .binaryFocalCrossentropy:
            return try binaryFocalCrossentropyRows(yTrue, yPred, rows: rows)
        case .categoricalHinge:
            return try categoricalHingeRows(yTrue.detached.reshaped(yPred.shape), yPred)
        case .cosineSimilarity:
            return try cosineSimilarityRows(yTrue.detached.reshaped(yPred.shape), yPred, axis: axis)
        case .meanSquaredError, .meanAbsoluteError, .meanAbsolutePercentageError, .meanSquaredLogarithmicError,
             .huber, .logCosh, .klDivergence, .poisson, .hinge, .squaredHinge:
            return try elementwiseLossRows(kind, yTrue.detached.reshaped(yPred.shape), yPred, rows: rows)
        }
    }

    /// The logits behind `yPred` when the loss should use them.
    func logitsInput(_ yPred: Tensor, _ kind: LogitsSource.Kind) -> Tensor? {
        if fromLogits { return yPred }
        if let source = yPred.logitsSource, source.kind == kind { return source.logits }
        return nil
    }

    func smoothed(_ y: Tensor, classes: Int) -> Tensor {
        guard labelSmoothing > 0 else { return y }
        return y * (1 - labelSmoothing) + labelSmoothing / Float(classes)
    }
}

/// Means over the last axis, as a (rows) vector.
func rowMeans(_ x: Tensor, rows: Int) throws -> Tensor {
    try x.reshaped([rows, -1]).mean(axes: [1])
}

extension Tensor {
    /// The sum of every value, in Double, off the tape.
    var sumScalar: Float {
        let p = detached.storage.pointer
        var total = 0.0
        for i in 0..<count { total += Double(p[i]) }
        return Float(total)
    }
}
