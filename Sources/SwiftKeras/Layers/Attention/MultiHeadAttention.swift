/// Multi-head attention (Keras's `MultiHeadAttention`, "Attention is all you need"): the
/// query, key and value are projected into `numHeads` heads, each query step attends to the
/// key steps with softmax(q·kᵀ / √keyDim), the heads' weighted sums of the values are joined
/// and projected back to the query's feature size (or `outputShape`).
///
/// Weights, in Keras's order and layout (`dim`: the input's last axis):
/// `query/kernel` (dim, heads, keyDim), `query/bias` (heads, keyDim), the same for `key`,
/// `value/kernel` (dim, heads, valueDim), `value/bias` (heads, valueDim),
/// `attention_output/kernel` (heads, valueDim, outputDim), `attention_output/bias` (outputDim).
///
/// ```swift
/// let x = Input(shape: [nil, 64])
/// let y = try MultiHeadAttention(numHeads: 4, keyDim: 16)(x, x)          // self-attention
/// let (z, scores) = try mha.callReturningAttentionScores(x, context)     // scores (heads, T, S)
/// ```
///
/// Masks: the Keras masks of the query, value and key (an `Embedding` with `maskZero`)
/// restrict which steps attend to which, with `attentionMask` (batch, T, S) and the causal
/// mask; masked scores are set to -1e9 before the softmax, as in Keras. The output carries
/// the query's mask.
public final class MultiHeadAttention: Layer, AttentionLayer {
    public let numHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    /// The dropout rate on the attention scores, in training.
    public let dropout: Float
    public let useBias: Bool
    /// The per-step output shape; nil projects back to the query's last axis.
    public let outputShape: [Int]?
    /// The axes attention runs over (batch counted; nil: every axis between the batch and
    /// the features). Resolved to non-negative axes when the layer is built.
    public private(set) var attentionAxes: [Int]?
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?

    public private(set) var queryKernel: Variable?
    public private(set) var queryBias: Variable?
    public private(set) var keyKernel: Variable?
    public private(set) var keyBias: Variable?
    public private(set) var valueKernel: Variable?
    public private(set) var valueBias: Variable?
    public private(set) var outputKernel: Variable?
    public private(set) var outputBias: Variable?

    /// The per-sample value and key shapes of the first call (Keras's build_config).
    private(set) var builtValueShape: [Int]?
    private(set) var builtKeyShape: [Int]?
    private var pendingShapes: (value: [Int], key: [Int]?)?

    public init(numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Float = 0, useBias: Bool = true,
                outputShape: [Int]? = nil, attentionAxes: [Int]? = nil,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, name: String? = nil) {
        self.numHeads = numHeads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.outputShape = outputShape
        self.attentionAxes = attentionAxes
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name)
    }

    public override var className: String { "MultiHeadAttention" }
    public override var supportsMasking: Bool { true }
    var takesInputList: Bool { false }

    // MARK: Shapes and weights

    private func checkArguments() throws {
        func invalid(_ argument: String, _ expected: String, _ received: String) -> KerasError {
            .invalidArgument("Layer \"\(name)\": \(argument) must be \(expected), received \(received)")
        }
        guard numHeads > 0 else { throw invalid("num_heads", "a positive integer", "\(numHeads)") }
        guard keyDim > 0 else { throw invalid("key_dim", "a positive integer", "\(keyDim)") }
        guard valueDim > 0 else { throw invalid("value_dim", "a positive integer", "\(valueDim)") }
        guard dropout >= 0, dropout < 1 else { throw invalid("dropout", "in [0, 1)", "\(dropout)") }
        if let outputShape, outputShape.isEmpty || outputShape.contains(where: { $0 <= 0 }) {
            throw invalid("output_shape", "a list of positive sizes", "\(outputShape)")
        }
        if activityRegularizer != nil {
            throw invalid("activity_regularizer", "nil (not supported on MultiHeadAttention)", "a regularizer")
        }
    }

    /// The attention axes for inputs of `rank` per-sample axes, resolved as Keras does
    /// (negative axes count from the heads axis of the projected tensors).
    private func resolvedAxes(rank: Int) throws -> [Int] {
        let projectedRank = rank + 2
        guard let axes = attentionAxes else { return Array(1..<(projectedRank - 2)) }
        let resolved = axes.map { $0 >= 0 ? $0 : projectedRank - 1 + $0 }
        guard !resolved.isEmpty, Set(resolved).count == resolved.count,
              resolved.allSatisfy({ $0 >= 1 && $0 < projectedRank - 2 }) else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": attention_axes \(axes) must name distinct axes between the batch and the features of inputs of rank \(rank + 1)")
        }
        return resolved.sorted()
    }

    private func checkShapes(query: [Int], value: [Int], key: [Int]?) throws {
        let key = key ?? value
        let shown = "query \(symbolicShapeString(query)), value \(symbolicShapeString(value)), key \(symbolicShapeString(key))"
        guard query.count >= 2, value.count == query.count, key.count == query.count else {
            throw KerasError.incompatibleInput(
                layer: name, message: "query, value and key must be of the same rank, at least 3 (batch, steps, features), received \(shown)")
        }
        guard value.dropLast() == key.dropLast() else {
            throw KerasError.incompatibleInput(
                layer: name, message: "all dimensions of value and key, except the last one, must be equal, received \(shown)")
        }
        let axes = try resolvedAxes(rank: query.count)
        for axis in 1..<query.count where !axes.contains(axis) && query[axis - 1] != value[axis - 1]
            && query[axis - 1] >= 0 && value[axis - 1] >= 0 {
            throw KerasError.incompatibleInput(
                layer: name, message: "query and value must agree on axis \(axis), which attention does not run over, received \(shown)")
        }
        for shape in [query, value, key] where shape.last! <= 0 {
            throw KerasError.incompatibleInput(layer: name, message: "the feature dimension must be known and positive, received \(shown)")
        }
    }

    /// Checks the per-sample shapes and builds the weights for them if not built yet (a layer
    /// of one's own holding a MultiHeadAttention builds it here from its own `build`).
    public func buildIfNeeded(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws {
        try checkShapes(query: queryShape, value: valueShape, key: keyShape)
        guard !isBuilt else {
            let value = builtValueShape!, key = builtKeyShape ?? value
            let fits = { (a: [Int], b: [Int]) in a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || $0 < 0 || $1 < 0 } }
            guard fits(queryShape, builtInputShape!), fits(valueShape, value), fits(keyShape ?? valueShape, key) else {
                throw KerasError.incompatibleInput(
                    layer: name,
                    message: "the layer was built for query \(symbolicShapeString(builtInputShape!)), value \(symbolicShapeString(value)) and key \(symbolicShapeString(key)), received query \(symbolicShapeString(queryShape)), value \(symbolicShapeString(valueShape)) and key \(symbolicShapeString(keyShape ?? valueShape))")
            }
            return
        }
        pendingShapes = (valueShape, keyShape)
        defer { pendingShapes = nil }
        try buildIfNeeded(inputShape: queryShape)
        builtValueShape = valueShape
        builtKeyShape = keyShape
    }

    /// Builds for the query shape given, the value and key shapes set by
    /// `buildIfNeeded(queryShape:valueShape:keyShape:)`.
    public override func build(inputShape: [Int]) throws {
        try checkArguments()
        guard let (valueShape, keyShape) = pendingShapes else {
            throw attentionNeedsSeveralInputs(self, "mha(query, value) or mha(query, value, key: key)")
        }
        let axes = try resolvedAxes(rank: inputShape.count)
        let (queryDim, valueFeatures, keyFeatures) = (inputShape.last!, valueShape.last!, (keyShape ?? valueShape).last!)
        let out = outputShape ?? [queryDim]
        func kernel(_ prefix: String, _ shape: [Int]) throws -> Variable {
            try addWeight(name: "\(prefix)/kernel", shape: shape, initializer: kernelInitializer,
                          regularizer: kernelRegularizer, constraint: kernelConstraint)
        }
        func bias(_ prefix: String, _ shape: [Int]) throws -> Variable? {
            guard useBias else { return nil }
            return try addWeight(name: "\(prefix)/bias", shape: shape, initializer: biasInitializer,
                                 regularizer: biasRegularizer, constraint: biasConstraint)
        }
        queryKernel = try kernel("query", [queryDim, numHeads, keyDim])
        queryBias = try bias("query", [numHeads, keyDim])
        keyKernel = try kernel("key", [keyFeatures, numHeads, keyDim])
        keyBias = try bias("key", [numHeads, keyDim])
        valueKernel = try kernel("value", [valueFeatures, numHeads, valueDim])
        valueBias = try bias("value", [numHeads, valueDim])
        outputKernel = try kernel("attention_output", [numHeads, valueDim] + out)
        outputBias = try bias("attention_output", out)
        attentionAxes = axes
        // Keras builds a Softmax and a Dropout sublayer here, which take the next default
        // names of their classes: layers named after this one are numbered as in Keras.
        _ = LayerNames.unique("Softmax")
        _ = LayerNames.unique("Dropout")
    }

    /// The per-sample shapes of the output and of the attention scores.
    public func attentionShapes(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws -> (output: [Int], scores: [Int]) {
        try checkShapes(query: queryShape, value: valueShape, key: keyShape)
        let axes = try resolvedAxes(rank: queryShape.count)
        let inner = 1..<queryShape.count
        let batchAxes = inner.filter { !axes.contains($0) }
        let output = Array(queryShape.dropLast()) + (outputShape ?? [queryShape.last!])
        let scores = batchAxes.map { queryShape[$0 - 1] } + [numHeads] + axes.map { queryShape[$0 - 1] } + axes.map { valueShape[$0 - 1] }
        return (output, scores)
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        throw attentionNeedsSeveralInputs(self, "mha(query, value) or mha(query, value, key: key)")
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        throw attentionNeedsSeveralInputs(self, "mha(query, value) or mha(query, value, key: key)")
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { mask }

    // MARK: Calling

    /// The attention output for `query` attending to `value` (and `key`, the value by default).
    /// The masks are Keras's masks of the inputs (batch, steps) and `attentionMask`
    /// (batch, T, S); `useCausalMask` lets step i attend to steps up to i only.
    public func callAsFunction(_ query: Tensor, _ value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                               queryMask: Tensor? = nil, valueMask: Tensor? = nil, keyMask: Tensor? = nil,
                               useCausalMask: Bool = false, training: Bool = false) throws -> Tensor {
        try run(AttentionInputs(query: query, value: value, key: key, queryMask: queryMask, valueMask: valueMask, keyMask: keyMask,
                                attentionMask: attentionMask, useCausalMask: useCausalMask), training: training).output
    }

    /// The output and the attention scores (batch, heads, T, S) (Keras's
    /// `return_attention_scores=True`).
    public func callReturningAttentionScores(_ query: Tensor, _ value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                                             queryMask: Tensor? = nil, valueMask: Tensor? = nil, keyMask: Tensor? = nil,
                                             useCausalMask: Bool = false, training: Bool = false) throws -> (output: Tensor, scores: Tensor) {
        try run(AttentionInputs(query: query, value: value, key: key, queryMask: queryMask, valueMask: valueMask, keyMask: keyMask,
                                attentionMask: attentionMask, useCausalMask: useCausalMask, returnsAttentionScores: true),
                training: training)
    }

    /// Calls the layer on symbolic tensors (the functional API): `mha(x, x)` for self-attention.
    /// The inputs' masks (an `Embedding` with `maskZero`) are used when data flows.
    public func callAsFunction(_ query: KerasTensor, _ value: KerasTensor, key: KerasTensor? = nil,
                               attentionMask: KerasTensor? = nil, useCausalMask: Bool = false) throws -> KerasTensor {
        try callSymbolic(query: query, value: value, key: key, attentionMask: attentionMask,
                         returnAttentionScores: false, useCausalMask: useCausalMask)[0]
    }

    /// The symbolic output and attention scores (Keras's `return_attention_scores=True`).
    public func callReturningAttentionScores(_ query: KerasTensor, _ value: KerasTensor, key: KerasTensor? = nil,
                                             attentionMask: KerasTensor? = nil, useCausalMask: Bool = false) throws
        -> (output: KerasTensor, scores: KerasTensor) {
        let outputs = try callSymbolic(query: query, value: value, key: key, attentionMask: attentionMask,
                                       returnAttentionScores: true, useCausalMask: useCausalMask)
        return (outputs[0], outputs[1])
    }

    /// Keras's `_compute_attention_mask`: the query's mask (B, T, 1), the value's and key's
    /// (B, 1, S), the causal mask (1, T, S) and `attentionMask`, joined by logical and.
    private func combinedMask(_ inputs: AttentionInputs) throws -> Tensor? {
        var masks: [Tensor] = []
        func check(_ mask: Tensor, _ tensor: Tensor, _ what: String) throws -> Tensor {
            guard mask.shape == Array(tensor.shape.dropLast()) else {
                throw KerasError.incompatibleInput(
                    layer: name, message: "the \(what) mask must have shape \(shapeString(Array(tensor.shape.dropLast()))), received \(shapeString(mask.shape))")
            }
            return mask.detached
        }
        if let mask = inputs.queryMask {
            let m = try check(mask, inputs.query, "query")
            masks.append(try m.reshaped(m.shape + [1]))
        }
        for (mask, tensor, what) in [(inputs.valueMask, inputs.value, "value"), (inputs.keyMask, inputs.key ?? inputs.value, "key")] {
            guard let mask else { continue }
            let m = try check(mask, tensor, what)
            var shape = m.shape
            shape.insert(1, at: shape.count - 1)
            masks.append(try m.reshaped(shape))
        }
        if inputs.useCausalMask {
            masks.append(causalMask(queryLength: inputs.query.shape[1], valueLength: inputs.value.shape[1]))
        }
        if let mask = inputs.attentionMask { masks.append(mask.detached) }
        guard var combined = masks.first?.mapDetached({ $0 > 0.5 ? 1 : 0 }) else { return nil }
        for mask in masks.dropFirst() {
            do { combined = try withoutGradients { try combined * mask.mapDetached { $0 > 0.5 ? 1 : 0 } } } catch {
                throw KerasError.incompatibleInput(
                    layer: name, message: "the attention mask of shape \(shapeString(mask.shape)) does not broadcast with the inputs' masks (\(shapeString(combined.shape)))")
            }
        }
        return combined
    }

    func attend(_ inputs: AttentionInputs, training: Bool) throws -> (output: Tensor, scores: Tensor) {
        let (query, value) = (inputs.query, inputs.value)
        let key = inputs.key ?? value
        let rank = query.rank - 1
        let axes = try attentionAxes ?? resolvedAxes(rank: rank)

        /// The EinsumDense projection "...c,cde->...de" of `x` to (..., heads, size).
        func project(_ x: Tensor, _ kernel: Variable, _ bias: Variable?, size: Int) throws -> Tensor {
            let features = x.shape.last!
            let y = try affine(x, kernel.value.reshaped([features, numHeads * size]),
                               bias: try bias?.value.reshaped([numHeads * size]), op: name)
            return try y.reshaped(Array(x.shape.dropLast()) + [numHeads, size])
        }
        let q = try project(query, queryKernel!, queryBias, size: keyDim) * (1 / Float(keyDim).squareRoot())
        let k = try project(key, keyKernel!, keyBias, size: keyDim)
        let v = try project(value, valueKernel!, valueBias, size: valueDim)

        // (B, inner..., H, C) → (B, batch axes..., H, attention axes..., C), then the leading
        // axes and the attention axes each flattened: one matrix product per (batch, head).
        let batchAxes = [0] + (1...rank - 1).filter { !axes.contains($0) }
        let permutation = batchAxes + [rank] + axes + [rank + 1]
        let groups = batchAxes.map { query.shape[$0] }.reduce(1, *) * numHeads
        let queryLength = axes.map { query.shape[$0] }.reduce(1, *)
        let valueLength = axes.map { value.shape[$0] }.reduce(1, *)
        func grouped(_ x: Tensor, length: Int) throws -> Tensor {
            try x.transposed(permutation).reshaped([groups, length, x.shape.last!])
        }
        var scores = try batchedMatmul(try grouped(q, length: queryLength), try grouped(k, length: valueLength), transposeB: true)

        let scoresShape = batchAxes.map { query.shape[$0] } + [numHeads] + axes.map { query.shape[$0] } + axes.map { value.shape[$0] }
        var keep: Tensor?
        if var mask = try combinedMask(inputs) {
            // Keras's _masked_softmax: size-1 axes go in before the attention axes (the heads axis first).
            while mask.rank < scoresShape.count {
                var shape = mask.shape
                shape.insert(1, at: mask.rank - 2 * axes.count)
                mask = try mask.reshaped(shape)
            }
            let full = try broadcastMask(mask, to: scoresShape, layer: name, what: "the attention mask").reshaped(scores.shape)
            // where(mask, scores, -1e9): kept scores pass unchanged, masked ones get no gradient.
            scores = try scores * full + full.mapDetached { $0 == 0 ? -1e9 : 0 }
            keep = full
        }
        var weights = scores.softmax()
        if let keep = keep, dropout > 0 || inputs.returnsAttentionScores || query.rank != 3 {
            // Keras's masked Softmax zeroes the masked weights (a fully masked row gives zeros).
            // Keras takes another path (dot_product_attention) when there is no dropout, no
            // scores are returned and the inputs are (batch, steps, features): there a fully
            // masked row keeps its uniform weights.
            weights = try weights * keep
        }
        let dropped = training && dropout > 0 ? try weights * dropoutMask(weights.shape, rate: dropout) : weights
        let combined = try batchedMatmul(dropped, try grouped(v, length: valueLength))

        // Back to (B, inner..., H, valueDim), then the output projection "...hv,hvo->...o".
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        let unflattened = try combined.reshaped(batchAxes.map { query.shape[$0] } + [numHeads] + axes.map { query.shape[$0] } + [valueDim])
        let heads = try unflattened.transposed(inverse)
        let out = outputShape ?? [query.shape.last!]
        let outCount = out.reduce(1, *)
        let leading = Array(query.shape.dropLast())
        let output = try affine(heads.reshaped(leading + [numHeads * valueDim]),
                                outputKernel!.value.reshaped([numHeads * valueDim, outCount]),
                                bias: try outputBias?.value.reshaped([outCount]), op: name)
        return (try output.reshaped(leading + out), try weights.reshaped(scoresShape))
    }

    // MARK: Configuration

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "num_heads": .int(numHeads), "key_dim": .int(keyDim), "value_dim": .int(valueDim), "dropout": .float(dropout),
            "use_bias": .bool(useBias), "use_gate": false,
            "output_shape": outputShape.map { .array($0.map { .int($0) }) } ?? .null,
            "attention_axes": attentionAxes.map { .array($0.map { .int($0) }) } ?? .null, "sliding_window": nil,
            "kernel_initializer": kernelInitializer.config, "bias_initializer": biasInitializer.config,
            "kernel_regularizer": kernelRegularizer.config, "bias_regularizer": biasRegularizer.config,
            "activity_regularizer": nil,
            "kernel_constraint": kernelConstraint.config, "bias_constraint": biasConstraint.config, "seed": nil,
        ])
        return config
    }

    public override var buildConfig: ConfigObject? {
        guard let query = builtInputShape, let value = builtValueShape else { return nil }
        var shapes: ConfigObject = ["query_shape": .batchShape(query), "value_shape": .batchShape(value)]
        if let key = builtKeyShape { shapes["key_shape"] = .batchShape(key) }
        return ["shapes_dict": .object(shapes)]
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("use_gate", false)
        try config.requireNull("sliding_window", "activity_regularizer")
        // Flash attention is an implementation choice of the backend; seeds: SwiftKeras
        // draws dropout from its own generator.
        config.ignore("flash_attention", "seed")
        var outputShape: [Int]?
        if let value = config.value("output_shape") {
            if let size = value.intValue { outputShape = [size] } else { outputShape = try config.ints("output_shape") }
        }
        var axes: [Int]?
        if let value = config.value("attention_axes") {
            if let axis = value.intValue { axes = [axis] } else { axes = try config.ints("attention_axes") }
        }
        return MultiHeadAttention(
            numHeads: try config.int("num_heads"), keyDim: try config.int("key_dim"),
            valueDim: config.value("value_dim") == nil ? nil : try config.int("value_dim"),
            dropout: try config.float("dropout", default: 0), useBias: try config.bool("use_bias", default: true),
            outputShape: outputShape, attentionAxes: axes,
            kernelInitializer: try config.initializer("kernel_initializer", default: .glorotUniform),
            biasInitializer: try config.initializer("bias_initializer", default: .zeros),
            kernelRegularizer: try config.regularizer("kernel_regularizer"), biasRegularizer: try config.regularizer("bias_regularizer"),
            kernelConstraint: try config.constraint("kernel_constraint"), biasConstraint: try config.constraint("bias_constraint"),
            name: config.name)
    }
}
