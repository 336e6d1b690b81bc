/// The base of every layer, following Keras's lifecycle: weights are created lazily by
/// `build(inputShape:)` on the first input shape seen, then `call(_:training:)` computes.
///
/// Shapes passed to `build`, `outputShape(for:)` and `inputSpec` exclude the batch axis.
open class Layer {
    public let name: String
    /// The `inputShape:` given at construction (without the batch axis), as in Keras.
    public let declaredInputShape: [Int]?
    public private(set) var isBuilt = false
    /// The per-sample input shape the layer was built for.
    public private(set) var builtInputShape: [Int]?
    /// Weights this layer created itself; wrappers add their inner layers' through `weights`.
    public private(set) var ownWeights: [Variable] = []

    /// A penalty on this layer's output, added to the training loss (Keras's activity_regularizer).
    public var activityRegularizer: Regularizer?

    /// Keras's class name, shown by `summary()` ("Conv2D", "MaxPooling2D").
    open var className: String { String(describing: type(of: self)) }

    public init(name: String?, inputShape: [Int]? = nil) {
        self.name = name ?? LayerNames.unique(String(describing: type(of: self)))
        self.declaredInputShape = inputShape
    }

    /// All weights in Keras's `get_weights` order.
    open var weights: [Variable] { ownWeights }
    public var trainableWeights: [Variable] { weights.filter(\.trainable) }
    public var nonTrainableWeights: [Variable] { weights.filter { !$0.trainable } }

    /// Whether training updates this layer's weights (Keras's `trainable`). Setting it sets
    /// the flag of every weight this layer and its sublayers created trainable (weights
    /// created non-trainable stay so); weights built later follow it too.
    public var trainable = true {
        didSet {
            for weight in ownWeights where createdTrainable.contains(ObjectIdentifier(weight)) { weight.trainable = trainable }
            for layer in sublayers { layer.trainable = trainable }
        }
    }
    private var createdTrainable = Set<ObjectIdentifier>()

    /// Layers this one is made of (a wrapper's inner layer); their weights are in `weights`.
    open var sublayers: [Layer] { [] }

    // MARK: Overridden by layers

    /// Creates the weights for a per-sample input shape.
    open func build(inputShape: [Int]) throws {}

    /// The per-sample output shape; throws when the input shape does not fit.
    open func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    /// The computation. `input` has already been checked against `inputSpec`.
    open func call(_ input: Tensor, training: Bool) throws -> Tensor { input }

    /// The computation with the mask of padded timesteps (batch, time) of 0/1, when one
    /// reaches this layer. Layers that use masks (recurrent layers) override this.
    open func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        try call(input, training: training)
    }

    /// Checks a whole dataset fed to this layer (as the model's first layer) before
    /// training or inference, so errors can name the sample; Embedding checks its ids.
    open func validateData(_ x: Tensor) throws {}

    /// Whether an incoming mask passes through this layer unchanged (Keras's `supports_masking`).
    open var supportsMasking: Bool { false }

    /// Whether the layer's inference output for a sample depends on that sample alone, not on
    /// the rest of its batch. True of SwiftKeras's own layers except `Lambda`; a layer from
    /// another module is assumed not to be unless it overrides this. `predict` runs large
    /// batches in cache-sized slices only when every layer of the model is samplewise.
    open var isSamplewise: Bool { String(reflecting: type(of: self)).hasPrefix("SwiftKeras.") }

    /// The mask of this layer's output (Keras's `compute_mask`).
    open func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { supportsMasking ? mask : nil }

    /// What inputs this layer accepts (ranks and sizes include the batch axis, as Keras's InputSpec).
    open func inputSpec() -> InputSpec { InputSpec() }

    // MARK: Configuration (Saving/)

    /// The arguments that rebuild this layer, with Keras's keys and values (Keras's
    /// `get_config`). Subclasses add theirs to `super.getConfig()`.
    open func getConfig() -> ConfigObject {
        var config: ConfigObject = ["name": .string(name), "trainable": .bool(trainable), "dtype": float32Policy]
        // Keras's base layer adds its activity regularizer only when there is one.
        if let activityRegularizer { config["activity_regularizer"] = activityRegularizer.config }
        return config
    }

    /// Builds a layer from `getConfig()`'s output (Keras's `from_config`). Layers that can be
    /// saved override it; `name`, `trainable` and `dtype` are handled by the registry.
    open class func fromConfig(_ config: LayerConfig) throws -> Layer {
        throw SavingError("\(config.what): \(self) does not implement fromConfig(_:)")
    }

    /// Keras's `build_config`: the input shape the layer was built for, or nil for layers
    /// that Keras never builds (pooling, dropout, ...).
    open var buildConfig: ConfigObject? { builtInputShape.map { ["input_shape": .batchShape($0)] } }

    // MARK: Lifecycle

    /// Builds from a per-sample input shape if not built yet, checking it first.
    public func buildIfNeeded(inputShape: [Int]) throws {
        // -1 is an unknown dimension (Keras's None); other negative sizes are not shapes.
        if let negative = inputShape.first(where: { $0 < -1 }) {
            throw KerasError.incompatibleInput(
                layer: name, message: "negative dimensions are not allowed, received input shape \(shapeString([nil] + inputShape.map { Optional($0) })) (dimension \(negative))")
        }
        try inputSpec().check(shape: [nil] + inputShape.map { $0 < 0 ? nil : $0 }, layer: name)
        guard !isBuilt else { return }
        try activityRegularizer?.validate(layer: name, argument: "activity_regularizer")
        try build(inputShape: inputShape)
        builtInputShape = inputShape
        isBuilt = true
    }

    /// Calls the layer on a batch, building it on first use.
    public func callAsFunction(_ input: Tensor, mask: Tensor? = nil, training: Bool = false) throws -> Tensor {
        try checkHasBatchAxis(input.shape)
        try buildIfNeeded(inputShape: Array(input.shape.dropFirst()))
        let output = try call(input, mask: mask, training: training)
        try addActivityLoss(output)
        return output
    }

    /// Throws for a scalar (rank 0): a layer's input has a batch axis first, which layers
    /// read as `shape[0]`. The layer's own rank requirement is named where it has one, as Keras does.
    func checkHasBatchAxis(_ shape: [Int]) throws {
        guard shape.isEmpty else { return }
        let spec = inputSpec()
        let required = spec.ndim.map { "ndim=\($0)" } ?? "min_ndim=\(Swift.max(spec.minNdim ?? 1, 1))"
        throw KerasError.incompatibleInput(
            layer: name, message: "expected \(required) (a batch axis first), found ndim=0. Full shape received: ()")
    }

    /// Creates a weight with a Keras name ("kernel", "bias") and initializer, and optionally
    /// a regularizer (added to the training loss) and a constraint (applied after each step).
    @discardableResult
    public func addWeight(name weightName: String, shape: [Int], initializer: Initializer,
                          trainable: Bool = true, regularizer: Regularizer? = nil,
                          constraint: Constraint? = nil) throws -> Variable {
        // An unknown input dimension (-1) must not become a weight size, as in Keras.
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": shapes used to initialize variables must be fully-defined (no None dimensions). Received: shape=\(shapeString(shape.map { $0 < 0 ? nil : $0 })) for variable path='\(name)/\(weightName)'")
        }
        let count: Int
        do {
            count = try Tensor.elementCount(of: shape, op: "\(name)/\(weightName)")
        } catch {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": weight \"\(weightName)\" of shape \(shapeString(shape)) is too large: more than \(Tensor.maximumElementCount) elements")
        }
        try LoadingBudget.charge(count, for: "\(name)/\(weightName)")
        try checkAllocation(shape, for: "layer \"\(name)\", weight \"\(weightName)\"")
        var rng = GlobalRandom.makeGenerator()
        let variable = Variable(try initializer.make(shape, using: &rng), name: "\(name)/\(weightName)",
                                trainable: trainable && self.trainable)
        try attach(regularizer: regularizer, constraint: constraint, to: variable, argument: weightName)
        ownWeights.append(variable)
        if trainable { createdTrainable.insert(ObjectIdentifier(variable)) }
        return variable
    }

    public func countParams() -> Int { weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// The weight values, in creation order (Keras's `get_weights`).
    public func getWeights() -> [Tensor] { withoutGradients { weights.map { $0.value } } }

    /// Replaces the weight values; shapes and count must match (Keras's `set_weights`).
    public func setWeights(_ values: [Tensor]) throws {
        guard values.count == weights.count else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": set_weights expected \(weights.count) arrays, received \(values.count)")
        }
        for (variable, value) in zip(weights, values) {
            guard variable.shape == value.shape else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": weight \(variable.name) expects shape \(shapeString(variable.shape)), received \(shapeString(value.shape))")
            }
        }
        for (variable, value) in zip(weights, values) { try variable.assign(value) }
    }
}

/// Which inputs a layer accepts; ranks and axes count the batch axis, as in Keras.
public struct InputSpec: Sendable {
    public var ndim: Int?
    public var minNdim: Int?
    /// Required sizes by axis (negative axes count from the end).
    public var axes: [Int: Int]

    public init(ndim: Int? = nil, minNdim: Int? = nil, axes: [Int: Int] = [:]) {
        self.ndim = ndim; self.minNdim = minNdim; self.axes = axes
    }

    func check(shape: [Int?], layer: String) throws {
        let received = "Full shape received: \(shapeString(shape))"
        if let ndim, shape.count != ndim {
            throw KerasError.incompatibleInput(layer: layer, message: "expected ndim=\(ndim), found ndim=\(shape.count). \(received)")
        }
        if let minNdim, shape.count < minNdim {
            throw KerasError.incompatibleInput(layer: layer, message: "expected min_ndim=\(minNdim), found ndim=\(shape.count). \(received)")
        }
        for (axis, size) in axes.sorted(by: { $0.key < $1.key }) {
            let index = axis < 0 ? shape.count + axis : axis
            guard index >= 0, index < shape.count, shape[index] == size else {
                throw KerasError.incompatibleInput(
                    layer: layer,
                    message: "expected axis \(axis) of input shape to have value \(size), but received input with shape \(shapeString(shape))")
            }
        }
    }
}

/// Keras's default layer names: "dense", "dense_1", ... per class, per process.
public enum LayerNames {
    /// Name counters: one set per process, or per `withFreshNames` scope.
    public final class Counters: Sendable {
        let counts = Lock<[String: Int]>([:])
        public init() {}
    }

    private static let processCounters = Counters()
    @TaskLocal private static var scopedCounters: Counters?

    /// "Conv2D" → "conv2d", "MaxPooling2D" → "max_pooling2d", then numbered if taken.
    public static func unique(_ className: String) -> String {
        let base = snakeCase(className)
        return (scopedCounters ?? processCounters).counts.withLock { counts in
            let n = counts[base, default: 0]
            counts[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// Restarts the numbering (Keras's `clear_session`).
    public static func reset() { (scopedCounters ?? processCounters).counts.withLock { $0.removeAll() } }

    /// Runs `body` with numbering that starts afresh and is not shared with other tasks.
    public static func withFreshNames<R>(_ body: () throws -> R) rethrows -> R {
        try $scopedCounters.withValue(Counters()) { try body() }
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase) {
                result += "_"
            }
            result += c.lowercased()
        }
        return result
    }
}
