/// A metric for compile(metrics:), written `.accuracy` or as Keras's string "accuracy".
///
/// `.accuracy` is resolved from the loss as Keras does: sparse categorical accuracy for
/// sparse labels, categorical for one-hot, binary (threshold 0.5) for binary crossentropy.
public struct Metric: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case accuracy
        case sparseCategoricalAccuracy = "sparse_categorical_accuracy"
        case categoricalAccuracy = "categorical_accuracy"
        case binaryAccuracy = "binary_accuracy"
    }

    public let kind: Kind?
    public let name: String

    public init(stringLiteral value: String) {
        kind = Kind(rawValue: value == "acc" ? "accuracy" : value)
        name = value
    }

    public init(_ kind: Kind) { self.kind = kind; name = kind.rawValue }

    public static let accuracy = Metric(.accuracy)
    public static let sparseCategoricalAccuracy = Metric(.sparseCategoricalAccuracy)
    public static let categoricalAccuracy = Metric(.categoricalAccuracy)
    public static let binaryAccuracy = Metric(.binaryAccuracy)

    public var description: String { name }

    /// The concrete accuracy for a loss; throws for names Keras does not know.
    func resolved(for loss: Loss) throws -> Kind {
        guard let kind else {
            throw KerasError.invalidArgument(
                "Could not interpret metric identifier: '\(name)' (expected one of: "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard kind == .accuracy else { return kind }
        switch loss.kind {
        case .sparseCategoricalCrossentropy: return .sparseCategoricalAccuracy
        case .binaryCrossentropy: return .binaryAccuracy
        default: return .categoricalAccuracy
        }
    }
}

/// The weight of correct predictions and the weight of all counted ones in a batch, for an
/// accuracy kind. `rowWeights` holds one weight per prediction row (sample weights times
/// the mask of padded timesteps, which weighs 0), or nil for all ones, as Keras weighs them.
func countCorrect(_ kind: Metric.Kind, yTrue: Tensor, yPred: Tensor, rowWeights: Tensor?) -> (correct: Double, counted: Double) {
    let width = yPred.shape.last ?? 1
    let rows = yPred.count / Swift.max(width, 1)
    let py = yTrue.storage.pointer, pp = yPred.storage.pointer
    let weights = rowWeights?.storage.pointer
    var correct = 0.0, counted = 0.0
    switch kind {
    case .binaryAccuracy:
        for i in 0..<yPred.count {
            let w = weights.map { Double($0[i / width]) } ?? 1
            counted += w
            if (pp[i] > 0.5) == (py[i] > 0.5) { correct += w }
        }
    case .sparseCategoricalAccuracy, .accuracy, .categoricalAccuracy:
        let predicted = yPred.argmaxLastAxis()
        let truth = kind == .sparseCategoricalAccuracy ? yTrue : yTrue.reshapedLastAxis(width).argmaxLastAxis()
        for r in 0..<rows {
            let w = weights.map { Double($0[r]) } ?? 1
            counted += w
            if predicted.storage.pointer[r] == truth.storage.pointer[r] { correct += w }
        }
    }
    return (correct, counted)
}

extension Tensor {
    func reshapedLastAxis(_ width: Int) -> Tensor {
        (try? reshaped([count / Swift.max(width, 1), width])) ?? self
    }
}
