/// Dot-product attention (Keras's `Attention`, Luong-style): called on `[query, value]` or
/// `[query, value, key]` (the key is the value when not given), each (batch, steps, dim).
/// The scores `query · keyᵀ` (times `scale` with `useScale`) or, with `scoreMode` "concat",
/// `concat_score_weight · Σ tanh(scale · (query + key))`, go through a softmax over the value
/// steps; the output is the scores' weighted sum of the values, (batch, Tq, value dim).
///
/// Masks (`mask: [queryMask, valueMask]`, or the inputs' masks in a graph): padded value
/// steps get scores - 1e9, padded query steps a zero output; `useCausalMask` lets query step
/// i attend to value steps up to i.
public class Attention: Layer, AttentionLayer {
    public let useScale: Bool
    /// "dot" or "concat".
    public let scoreMode: String
    /// The dropout rate on the attention scores, in training.
    public let dropout: Float
    /// The learned scale: a scalar here, one per feature in `AdditiveAttention`.
    public internal(set) var scale: Variable?
    /// The learned factor of "concat" scores.
    public private(set) var concatScoreWeight: Variable?
    /// The per-sample shapes of the first call (Keras's build_config).
    private(set) var builtShapes: [[Int]]?

    public init(useScale: Bool = false, scoreMode: String = "dot", dropout: Float = 0, name: String? = nil) {
        self.useScale = useScale
        self.scoreMode = scoreMode
        self.dropout = dropout
        super.init(name: name)
    }

    public override var supportsMasking: Bool { true }
    var takesInputList: Bool { true }

    // MARK: Shapes and weights

    func checkShapes(query: [Int], value: [Int], key: [Int]?) throws {
        let key = key ?? value
        let shown = [query, value, key].map(symbolicShapeString).joined(separator: ", ")
        guard query.count == 2, value.count == 2, key.count == 2 else {
            throw KerasError.incompatibleInput(
                layer: name, message: "query, value and key must be of shape (batch, steps, dim), received \(shown)")
        }
        guard value[0] == key[0] || value[0] < 0 || key[0] < 0 else {
            throw KerasError.incompatibleInput(layer: name, message: "value and key must have the same number of steps, received \(shown)")
        }
        guard query[1] == key[1] || query[1] < 0 || key[1] < 0 else {
            throw KerasError.incompatibleInput(layer: name, message: "query and key must have the same last dimension, received \(shown)")
        }
    }

    /// Checks the per-sample shapes and builds the weights for them if not built yet.
    public func buildIfNeeded(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws {
        try checkShapes(query: queryShape, value: valueShape, key: keyShape)
        guard !isBuilt else { return }
        guard ["dot", "concat"].contains(scoreMode) else {
            throw KerasError.invalidArgument("Layer \"\(name)\": score_mode must be \"dot\" or \"concat\", received \"\(scoreMode)\"")
        }
        guard dropout >= 0, dropout < 1 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": dropout must be in [0, 1), received \(dropout)")
        }
        builtShapes = [queryShape, valueShape] + (keyShape.map { [$0] } ?? [])
        try buildIfNeeded(inputShape: queryShape)
    }

    public override func build(inputShape: [Int]) throws {
        guard builtShapes != nil else { throw attentionNeedsSeveralInputs(self, "layer([query, value]) or layer([query, value, key])") }
        if useScale { scale = try addWeight(name: "scale", shape: [], initializer: .ones) }
        if scoreMode == "concat" { concatScoreWeight = try addWeight(name: "concat_score_weight", shape: [], initializer: .ones) }
    }

    /// The per-sample shapes of the output and of the attention scores.
    public func attentionShapes(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws -> (output: [Int], scores: [Int]) {
        try checkShapes(query: queryShape, value: valueShape, key: keyShape)
        return ([queryShape[0], valueShape[1]], [queryShape[0], (keyShape ?? valueShape)[0]])
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        throw attentionNeedsSeveralInputs(self, "layer([query, value]) or layer([query, value, key])")
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        throw attentionNeedsSeveralInputs(self, "layer([query, value]) or layer([query, value, key])")
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { mask }

    // MARK: Calling

    private func inputs(_ tensors: [Tensor], mask: [Tensor?]?, useCausalMask: Bool, scores: Bool = false) throws -> AttentionInputs {
        guard tensors.count == 2 || tensors.count == 3 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\" accepts a list of 2 or 3 inputs, namely [query, value] or [query, value, key], received \(tensors.count)")
        }
        if let mask, mask.count != 2 && mask.count != 3 {
            throw KerasError.invalidArgument("Layer \"\(name)\" accepts a mask list of length 2 or 3, received \(mask.count)")
        }
        return AttentionInputs(query: tensors[0], value: tensors[1], key: tensors.count > 2 ? tensors[2] : nil,
                               queryMask: mask?[0] ?? nil, valueMask: mask?[1] ?? nil, useCausalMask: useCausalMask,
                               returnsAttentionScores: scores)
    }

    /// The output for `[query, value]` or `[query, value, key]`, with optional masks
    /// `[queryMask, valueMask]` (batch, steps) of 1 (kept) and 0 (padded).
    public func callAsFunction(_ inputs: [Tensor], mask: [Tensor?]? = nil, useCausalMask: Bool = false,
                               training: Bool = false) throws -> Tensor {
        try run(try self.inputs(inputs, mask: mask, useCausalMask: useCausalMask), training: training).output
    }

    /// The output and the attention scores (batch, Tq, Tv) (Keras's `return_attention_scores=True`).
    public func callReturningAttentionScores(_ inputs: [Tensor], mask: [Tensor?]? = nil, useCausalMask: Bool = false,
                                             training: Bool = false) throws -> (output: Tensor, scores: Tensor) {
        try run(try self.inputs(inputs, mask: mask, useCausalMask: useCausalMask, scores: true), training: training)
    }

    /// Calls the layer on symbolic tensors: `Attention()([query, value])`.
    public func callAsFunction(_ inputs: [KerasTensor], useCausalMask: Bool = false) throws -> KerasTensor {
        try symbolic(inputs, returnAttentionScores: false, useCausalMask: useCausalMask)[0]
    }

    /// The symbolic output and attention scores.
    public func callReturningAttentionScores(_ inputs: [KerasTensor], useCausalMask: Bool = false) throws
        -> (output: KerasTensor, scores: KerasTensor) {
        let outputs = try symbolic(inputs, returnAttentionScores: true, useCausalMask: useCausalMask)
        return (outputs[0], outputs[1])
    }

    private func symbolic(_ inputs: [KerasTensor], returnAttentionScores: Bool, useCausalMask: Bool) throws -> [KerasTensor] {
        guard inputs.count == 2 || inputs.count == 3 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\" accepts a list of 2 or 3 inputs, namely [query, value] or [query, value, key], received \(inputs.count)")
        }
        return try callSymbolic(query: inputs[0], value: inputs[1], key: inputs.count > 2 ? inputs[2] : nil, attentionMask: nil,
                                returnAttentionScores: returnAttentionScores, useCausalMask: useCausalMask)
    }

    /// The raw scores (batch, Tq, Tv) of `query` against `key` (Keras's `_calculate_scores`).
    func scores(query: Tensor, key: Tensor) throws -> Tensor {
        if scoreMode == "dot" {
            let scores = try batchedMatmul(query, key, transposeB: true)
            return try scale.map { try scores * $0.value } ?? scores
        }
        let sum = try broadcastSum(query, key)
        let scaled = try scale.map { try sum * $0.value } ?? sum
        return try scaled.tanh().sum(axes: [-1]) * concatScoreWeight!.value
    }

    /// query (B, Tq, d) + key (B, Tv, d) → (B, Tq, Tv, d).
    func broadcastSum(_ query: Tensor, _ key: Tensor) throws -> Tensor {
        let (batch, dim) = (query.shape[0], query.shape[2])
        return try query.reshaped([batch, query.shape[1], 1, dim]) + key.reshaped([batch, 1, key.shape[1], dim])
    }

    func attend(_ inputs: AttentionInputs, training: Bool) throws -> (output: Tensor, scores: Tensor) {
        let (query, value) = (inputs.query, inputs.value)
        let key = inputs.key ?? value
        guard query.rank == 3, value.rank == 3, key.rank == 3 else {
            throw KerasError.incompatibleInput(layer: name, message: "query, value and key must be of shape (batch, steps, dim)")
        }
        var scores = try self.scores(query: query, key: key)
        let (batch, queryLength, valueLength) = (query.shape[0], query.shape[1], value.shape[1])
        // Keras's _calculate_score_mask: the value mask (B, 1, Tv), and with the causal mask (1, Tq, Tv).
        var keep: Tensor?
        if let valueMask = inputs.valueMask {
            guard valueMask.shape == [batch, valueLength] else {
                throw KerasError.incompatibleInput(
                    layer: name, message: "the value mask must have shape \(shapeString([batch, valueLength])), received \(shapeString(valueMask.shape))")
            }
            keep = try valueMask.detached.reshaped([batch, 1, valueLength])
        }
        if inputs.useCausalMask {
            let causal = causalMask(queryLength: queryLength, valueLength: valueLength)
            keep = try keep.map { try $0 * causal } ?? causal
        }
        if let keep {
            // where(padded, scores - 1e9, scores): the gradient passes to every score.
            let padding = try broadcastMask(keep, to: scores.shape, layer: name, what: "the value mask").mapDetached { $0 == 0 ? -1e9 : 0 }
            scores = try scores + padding
        }
        let weights = scores.softmax()
        let dropped = training && dropout > 0 ? try weights * dropoutMask(weights.shape, rate: dropout) : weights
        var output = try batchedMatmul(dropped, value)
        if let queryMask = inputs.queryMask {
            guard queryMask.shape == [batch, queryLength] else {
                throw KerasError.incompatibleInput(
                    layer: name, message: "the query mask must have shape \(shapeString([batch, queryLength])), received \(shapeString(queryMask.shape))")
            }
            let rows = try broadcastMask(queryMask.reshaped([batch, queryLength, 1]), to: [batch, queryLength, 1], layer: name, what: "the query mask")
            output = try output * rows
        }
        return (output, weights)
    }

    // MARK: Configuration

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["use_scale": .bool(useScale), "score_mode": .string(scoreMode), "dropout": .float(dropout), "seed": nil])
        return config
    }

    public override var buildConfig: ConfigObject? {
        builtShapes.map { ["input_shape": .array($0.map { .batchShape($0) })] }
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        config.ignore("seed")
        return Attention(useScale: try config.bool("use_scale", default: false), scoreMode: try config.string("score_mode", default: "dot"),
                         dropout: try config.float("dropout", default: 0), name: config.name)
    }
}
