/// What compile() fixed: one loss (and weight, and metrics) per model output, and the optimizer.
struct CompiledSettings {
    let losses: [Loss]
    let lossWeights: [Float]
    let optimizer: Optimizer
    /// Per output: the metrics given to compile(), with their (unique) log names.
    let metrics: [[Metric]]
    /// How compile() was called, which a saved compile config repeats: one loss for all
    /// outputs or a list, loss weights given or not, metrics per output or shared.
    var sharedLoss = true, lossWeightsGiven = false, metricsPerOutput = false
    /// Set by compile(..., distribution: .dataParallel): training spread over an MPI job.
    var dataParallel: DataParallelTrainer?
}

/// The base of every model: compile/fit/evaluate/predict, summary and weights.
///
/// A model has one or more inputs and outputs. `Sequential` is a stack with one of each;
/// `Model(inputs:outputs:)` is a graph of layers called on `Input`s (the functional API).
open class Model {
    public let name: String
    var compiled: CompiledSettings?
    /// The compile() arguments whose validation is deferred to the first throwing call
    /// (string spellings cannot throw where they are written).
    var compileError: KerasError?
    /// Set for a functional model.
    var graph: FunctionalGraph?
    /// This model seen as a layer of an enclosing model (held by that model's graph).
    weak var layerView: ModelLayer?
    /// Set (by a callback) to end fit after the current batch (Keras's `stop_training`).
    public var stopTraining = false
    /// Where fit resumes, when a callback restored a backup (BackupAndRestore).
    var resumePosition: TrainingPosition?
    /// Where the running fit stands (nil outside fit).
    var fitProgress: FitProgress?
    /// Whether a functional model was given lists of inputs and outputs or single tensors
    /// (its config records which, as Keras's does).
    var inputsGivenAsList = true
    var outputsGivenAsList = true

    /// Whether training updates the weights (Keras's `trainable`): setting it sets every
    /// layer's flag.
    public var trainable = true {
        didSet { for layer in layers { layer.trainable = trainable } }
    }

    public init(name: String?) {
        self.name = name ?? LayerNames.unique(String(describing: type(of: self)))
    }

    /// A functional model: the layers that lead from `inputs` to `outputs` (Keras's
    /// `Model(inputs, outputs)`). Throws when an output does not depend on the inputs, an
    /// input is not used, or a needed input is missing.
    public init(inputs: [KerasTensor], outputs: [KerasTensor], name: String? = nil) throws {
        self.name = name ?? LayerNames.unique("Functional")
        graph = try FunctionalGraph(inputs: inputs, outputs: outputs, model: self.name)
    }

    /// A functional model with one input and one output.
    public convenience init(inputs: KerasTensor, outputs: KerasTensor, name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name)
        inputsGivenAsList = false
        outputsGivenAsList = false
    }

    /// A functional model with several inputs and one output.
    public convenience init(inputs: [KerasTensor], outputs: KerasTensor, name: String? = nil) throws {
        try self.init(inputs: inputs, outputs: [outputs], name: name)
        outputsGivenAsList = false
    }

    /// A functional model with one input and several outputs.
    public convenience init(inputs: KerasTensor, outputs: [KerasTensor], name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: outputs, name: name)
        inputsGivenAsList = false
    }

    // MARK: Overridden by model kinds

    /// The layers in order (for a functional model: its input layers first, then the rest
    /// in the order they are computed, as Keras lists them).
    open var layers: [Layer] { graph?.layers ?? [] }

    /// Whether every layer is samplewise (see `Layer.isSamplewise`); a subclass from another
    /// module, whose forward pass this class does not see, never is.
    var isSamplewise: Bool {
        String(reflecting: type(of: self)).hasPrefix("SwiftKeras.") && !layers.isEmpty && layers.allSatisfy(\.isSamplewise)
    }

    /// The per-sample shape of each input, when known (-1 for an unknown dimension).
    open var inputShapes: [[Int]]? { graph?.inputShapes }

    /// The name of each output (its layer's name), used in logs of multi-output models.
    open var outputNames: [String] { graph?.outputNames ?? [] }

    /// Builds every layer for per-sample input shapes; returns the per-sample output shapes.
    @discardableResult
    open func build(inputShapes: [[Int]]) throws -> [[Int]] {
        guard let graph else { throw KerasError.notReady("Model \"\(name)\" has no layers") }
        return try graph.outputShapes(checking: inputShapes)
    }

    /// The per-sample output shape of each layer, once built (for summary()).
    open var layerOutputShapes: [[Int]] { [] }

    /// Runs the model on a batch of each input; returns each output with its mask of padded
    /// timesteps (which training applies to the loss and metrics, as Keras does).
    open func callWithMasks(_ inputs: [Tensor], training: Bool) throws -> [(output: Tensor, mask: Tensor?)] {
        guard let graph else { throw KerasError.notReady("Model \"\(name)\" has no layers") }
        return try graph.run(inputs, training: training)
    }

    /// Checks whole datasets before training or inference (Embedding ids), so errors name samples.
    open func validateInputs(_ inputs: [Tensor]) throws {
        try graph?.validateInputs(inputs)
    }

    // MARK: Shapes and building

    /// The per-sample input shape of a single-input model.
    public var inputShape: [Int]? { inputShapes.flatMap { $0.count == 1 ? $0[0] : nil } }

    public var isBuilt: Bool { !layers.isEmpty && layers.allSatisfy(\.isBuilt) }

    /// Builds a single-input model; returns its per-sample output shape.
    @discardableResult
    public func build(inputShape: [Int]) throws -> [Int] { try build(inputShapes: [inputShape])[0] }

    /// Builds from the declared input shapes, as Keras builds a Sequential whose first
    /// layer has `input_shape` as soon as layers are added; returns why that failed, if it did.
    @discardableResult
    func buildFromDeclaredShape() -> (any Error)? {
        guard !isBuilt, let shapes = inputShapes else { return nil }
        do { try build(inputShapes: shapes) } catch { return error }
        return nil
    }

    // MARK: Weights

    public var weights: [Variable] { buildFromDeclaredShape(); return uniqueWeights(layers.flatMap(\.weights)) }
    public var trainableWeights: [Variable] { weights.filter(\.trainable) }
    public var nonTrainableWeights: [Variable] { weights.filter { !$0.trainable } }
    public func countParams() -> Int { weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// All weight values, layer by layer (Keras's `get_weights`).
    public func getWeights() -> [Tensor] { withoutGradients { weights.map(\.value) } }

    /// Replaces all weight values in `getWeights()` order; counts and shapes must match.
    public func setWeights(_ values: [Tensor]) throws {
        let variables = weights
        guard values.count == variables.count else {
            throw KerasError.invalidArgument("Model \"\(name)\": set_weights expected \(variables.count) arrays, received \(values.count)")
        }
        for (variable, value) in zip(variables, values) where variable.shape != value.shape {
            throw KerasError.invalidArgument(
                "Model \"\(name)\": weight \(variable.name) expects shape \(shapeString(variable.shape)), received \(shapeString(value.shape))")
        }
        for (variable, value) in zip(variables, values) { try variable.assign(value) }
    }

    // MARK: Calling

    /// Calls a single-input, single-output model on a batch (inference mode unless `training`).
    public func callAsFunction(_ input: Tensor, training: Bool = false) throws -> Tensor {
        try callAsFunction([input], training: training)[0]
    }

    /// Calls the model on a batch of each input; returns every output.
    public func callAsFunction(_ inputs: [Tensor], training: Bool = false) throws -> [Tensor] {
        try callWithMasks(adapt(inputs, caller: "call"), training: training).map(\.output)
    }

    /// The model's single output and its mask.
    public func callWithMask(_ input: Tensor, training: Bool) throws -> (output: Tensor, mask: Tensor?) {
        let results = try callWithMasks([input], training: training)
        guard results.count == 1 else {
            throw KerasError.invalidArgument("Model \"\(name)\" has \(results.count) outputs; use the array form")
        }
        return results[0]
    }

    /// Checks inputs against the model and builds it on first use. As Keras does, a missing
    /// trailing axis of size 1 is added: (N, 28, 28) feeds a model declared for (28, 28, 1).
    func adapt(_ inputs: [Tensor], caller: String) throws -> [Tensor] {
        if let expected = inputShapes, expected.count != inputs.count {
            throw KerasError.invalidData(
                "\(caller): model \"\(name)\" expects \(expected.count) input array(s), received \(inputs.count)")
        }
        var adapted: [Tensor] = []
        for (i, x) in inputs.enumerated() {
            guard x.rank >= 1, x.shape[0] > 0 else {
                throw KerasError.invalidData("\(caller): input \(i) is empty (received shape \(shapeString(x.shape))); at least one sample is needed")
            }
            var input = x
            let sample = Array(x.shape.dropFirst())
            if let expected = inputShapes?[i] {
                if sample + [1] == expected { input = try x.reshaped(x.shape + [1]) }
                let actual = Array(input.shape.dropFirst())
                let matches = expected.count == actual.count && zip(expected, actual).allSatisfy { $0 < 0 || $0 == $1 }
                guard matches else {
                    throw KerasError.incompatibleInput(
                        layer: name,
                        message: "expected shape=\(shapeString([nil] + expected.map { $0 < 0 ? nil : $0 })), found shape=\(shapeString(x.shape))")
                }
            }
            adapted.append(input)
        }
        if let first = adapted.first, let mismatch = adapted.first(where: { $0.shape[0] != first.shape[0] }) {
            throw KerasError.invalidData(
                "\(caller): data cardinality is ambiguous: the input arrays have \(first.shape[0]) and \(mismatch.shape[0]) samples. Make sure all arrays contain the same number of samples.")
        }
        if !isBuilt { try build(inputShapes: adapted.map { Array($0.shape.dropFirst()) }) }
        try validateInputs(adapted)
        return adapted
    }

    // MARK: Compile

    /// Chooses the loss, optimizer and metrics for training (Keras's `compile`). A model with
    /// several outputs uses `loss` for each of them.
    public func compile(loss: Loss, optimizer: Optimizer, metrics: [Metric] = []) {
        compile(losses: [loss], lossWeights: nil, optimizer: optimizer, metrics: metrics, sharedLoss: true)
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

    /// compile() for a model with several outputs: one loss per output, in output order,
    /// weighted by `lossWeights` (default 1) in the total that is minimized.
    public func compile(loss: [Loss], lossWeights: [Float]? = nil, optimizer: Optimizer, metrics: [Metric] = []) {
        compile(losses: loss, lossWeights: lossWeights, optimizer: optimizer, metrics: metrics, sharedLoss: false)
    }

    /// compile() with metrics chosen per output (Keras's list-of-lists form), in output order.
    public func compile(loss: [Loss], lossWeights: [Float]? = nil, optimizer: Optimizer, metrics: [[Metric]]) {
        compile(losses: loss, lossWeights: lossWeights, optimizer: optimizer, metrics: [], sharedLoss: false,
                perOutputMetrics: metrics)
    }

    private func compile(losses: [Loss], lossWeights: [Float]?, optimizer: Optimizer, metrics: [Metric], sharedLoss: Bool,
                         perOutputMetrics: [[Metric]]? = nil) {
        compileError = nil
        compiled = nil
        do {
            let outputs = graph?.outputNames.count ?? 1
            let perOutput = sharedLoss ? Array(repeating: losses[0], count: outputs) : losses
            guard perOutput.count == outputs else {
                throw KerasError.invalidArgument("compile: model \"\(name)\" has \(outputs) output(s) but \(perOutput.count) losses were given")
            }
            let weights = lossWeights ?? Array(repeating: 1, count: outputs)
            guard weights.count == outputs else {
                throw KerasError.invalidArgument("compile: model \"\(name)\" has \(outputs) output(s) but \(weights.count) loss weights were given")
            }
            for loss in perOutput { _ = try loss.resolvedKind() }
            try optimizer.checkArguments()
            if let perOutputMetrics, perOutputMetrics.count != outputs {
                throw KerasError.invalidArgument(
                    "compile: model \"\(name)\" has \(outputs) output(s) but metrics were given for \(perOutputMetrics.count)")
            }
            let resolved = try compiledMetrics(perOutput.indices.map { perOutputMetrics?[$0] ?? metrics })
            compiled = CompiledSettings(losses: perOutput, lossWeights: weights, optimizer: optimizer, metrics: resolved,
                                        sharedLoss: sharedLoss, lossWeightsGiven: lossWeights != nil,
                                        metricsPerOutput: perOutputMetrics != nil)
        } catch {
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

/// A variable shared by several layers (or a nested model used twice) counts once.
func uniqueWeights(_ variables: [Variable]) -> [Variable] {
    var seen = Set<ObjectIdentifier>()
    return variables.filter { seen.insert(ObjectIdentifier($0)).inserted }
}
