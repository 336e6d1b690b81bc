/// What compile() fixed: the loss, the optimizer and the resolved metrics.
struct CompiledSettings {
    let loss: Loss
    let optimizer: Optimizer
    let metrics: [(name: String, kind: Metric.Kind)]
}

/// The base of every model: layers, compile/fit/evaluate/predict, summary and weights.
/// Subclasses define how an input flows through their layers (`forward`) and how the
/// layers are built from a per-sample input shape.
open class Model {
    public let name: String
    var compiled: CompiledSettings?
    /// The compile() arguments whose validation is deferred to the first throwing call
    /// (string spellings cannot throw where they are written).
    var compileError: KerasError?

    public init(name: String?) {
        self.name = name ?? LayerNames.unique(String(describing: type(of: self)))
    }

    // MARK: Overridden by model kinds

    /// The layers in order.
    open var layers: [Layer] { [] }

    /// The per-sample input shape the model expects, when known.
    open var inputShape: [Int]? { nil }

    /// Builds every layer for a per-sample input shape; returns the per-sample output shape.
    @discardableResult
    open func build(inputShape: [Int]) throws -> [Int] { inputShape }

    /// The per-sample output shape of each layer, once built (for summary()).
    open var layerOutputShapes: [[Int]] { [] }

    /// Runs the model on a batch.
    open func call(_ input: Tensor, training: Bool) throws -> Tensor { input }

    /// Runs the model and also returns the mask of its output (padded timesteps), which
    /// training applies to the loss and metrics as Keras does.
    open func callWithMask(_ input: Tensor, training: Bool) throws -> (output: Tensor, mask: Tensor?) {
        (try call(input, training: training), nil)
    }

    // MARK: Weights

    public var isBuilt: Bool { !layers.isEmpty && layers.allSatisfy(\.isBuilt) }

    /// Builds from the declared input shape, as Keras builds a Sequential whose first
    /// layer has `input_shape` as soon as layers are added.
    func buildFromDeclaredShape() {
        if !isBuilt, let shape = inputShape { _ = try? build(inputShape: shape) }
    }

    public var weights: [Variable] { buildFromDeclaredShape(); return layers.flatMap(\.weights) }
    public var trainableWeights: [Variable] { weights.filter(\.trainable) }
    public var nonTrainableWeights: [Variable] { weights.filter { !$0.trainable } }
    public func countParams() -> Int { weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// All weight values, layer by layer (Keras's `get_weights`).
    public func getWeights() -> [Tensor] { withoutGradients { weights.map(\.value) } }

    /// Replaces all weight values in `getWeights()` order; counts and shapes must match.
    public func setWeights(_ values: [Tensor]) throws {
        let expected = weights.count
        guard values.count == expected else {
            throw KerasError.invalidArgument("Model \"\(name)\": set_weights expected \(expected) arrays, received \(values.count)")
        }
        var offset = 0
        for layer in layers {
            let n = layer.weights.count
            try layer.setWeights(Array(values[offset..<(offset + n)]))
            offset += n
        }
    }

    /// Calls the model on a batch (inference mode unless `training`).
    public func callAsFunction(_ input: Tensor, training: Bool = false) throws -> Tensor {
        try prepare(input)
        return try call(input, training: training)
    }

    /// Builds from the input's shape when needed and checks it against the model's.
    func prepare(_ input: Tensor) throws {
        let sampleShape = Array(input.shape.dropFirst())
        if let expected = inputShape, expected != sampleShape || input.rank == 0 {
            throw KerasError.incompatibleInput(
                layer: name,
                message: "expected shape=\(shapeString([nil] + expected.map { Optional($0) })), found shape=\(shapeString(input.shape))")
        }
        if !isBuilt { try build(inputShape: sampleShape) }
    }

    // MARK: Compile

    /// Chooses the loss, optimizer and metrics for training (Keras's `compile`).
    public func compile(loss: Loss, optimizer: Optimizer, metrics: [Metric] = []) {
        compileError = nil
        do {
            _ = try loss.resolvedKind()
            let resolved = try metrics.map { metric in (name: metric.name == "acc" ? "acc" : metric.name, kind: try metric.resolved(for: loss)) }
            compiled = CompiledSettings(loss: loss, optimizer: optimizer, metrics: resolved)
        } catch let error as KerasError {
            compiled = nil
            compileError = error
        } catch {
            compiled = nil
            compileError = .invalidArgument("\(error)")
        }
    }

    /// compile() with Keras's optimizer names: "sgd", "adam", "rmsprop", "adagrad".
    public func compile(loss: Loss, optimizer: String, metrics: [Metric] = []) {
        do {
            compile(loss: loss, optimizer: try SwiftKeras.optimizer(named: optimizer), metrics: metrics)
        } catch {
            compiled = nil
            compileError = error as? KerasError ?? .invalidArgument("\(error)")
        }
    }

    func requireCompiled(_ caller: String) throws -> CompiledSettings {
        if let compileError { throw compileError }
        guard let compiled else {
            throw KerasError.notReady("You must call compile() before using the model in \(caller)().")
        }
        return compiled
    }
}
