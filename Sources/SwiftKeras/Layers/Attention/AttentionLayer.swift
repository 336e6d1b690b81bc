/// What an attention layer attends with: a query, a value, optionally a key (the value when
/// nil), the Keras masks of each (batch, time) of 1 (kept) and 0 (padded), an optional
/// attention mask (batch, Tq, Tv) of which query steps may attend to which value steps,
/// and whether to add a causal mask (step i attends to steps j <= i only).
struct AttentionInputs {
    var query: Tensor
    var value: Tensor
    var key: Tensor?
    var queryMask: Tensor?
    var valueMask: Tensor?
    var keyMask: Tensor?
    var attentionMask: Tensor?
    var useCausalMask: Bool
    /// Whether the caller asked for the scores (Keras's `return_attention_scores`), which
    /// changes how MultiHeadAttention treats fully masked rows, as it does in Keras.
    var returnsAttentionScores: Bool

    init(query: Tensor, value: Tensor, key: Tensor? = nil, queryMask: Tensor? = nil, valueMask: Tensor? = nil,
                keyMask: Tensor? = nil, attentionMask: Tensor? = nil, useCausalMask: Bool = false,
                returnsAttentionScores: Bool = false) {
        self.query = query
        self.value = value
        self.key = key
        self.queryMask = queryMask
        self.valueMask = valueMask
        self.keyMask = keyMask
        self.attentionMask = attentionMask
        self.useCausalMask = useCausalMask
        self.returnsAttentionScores = returnsAttentionScores
    }
}

/// The layers called on a query, a value and an optional key rather than on one tensor
/// (`MultiHeadAttention`, `Attention`, `AdditiveAttention`). A functional graph runs them
/// through this protocol, passing the inputs' masks; their output carries the query's mask.
/// `attend` runs on a built layer: callers go through `run`, which builds first.
protocol AttentionLayer: Layer {
    /// Checks the per-sample shapes and builds the layer for them on first use.
    func buildIfNeeded(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws
    /// The per-sample shapes of the output and of the attention scores.
    func attentionShapes(queryShape: [Int], valueShape: [Int], keyShape: [Int]?) throws -> (output: [Int], scores: [Int])
    /// The attention output and the attention scores (the softmax weights, before dropout).
    func attend(_ inputs: AttentionInputs, training: Bool) throws -> (output: Tensor, scores: Tensor)
    /// Whether Keras calls the layer on a list `[query, value, key]` (Attention) rather
    /// than on separate arguments (MultiHeadAttention): how its calls are saved.
    var takesInputList: Bool { get }
}

extension AttentionLayer {
    /// Builds on first use and attends, adding the layer's activity penalty to the loss.
    func run(_ inputs: AttentionInputs, training: Bool) throws -> (output: Tensor, scores: Tensor) {
        let shapes = [inputs.query, inputs.value] + (inputs.key.map { [$0] } ?? [])
        for tensor in shapes where tensor.rank < 1 || tensor.shape[0] != inputs.query.shape[0] {
            throw KerasError.incompatibleInput(
                layer: name, message: "query, value and key must have the same batch size, received \(shapes.map { shapeString($0.shape) }.joined(separator: ", "))")
        }
        try buildIfNeeded(queryShape: Array(inputs.query.shape.dropFirst()), valueShape: Array(inputs.value.shape.dropFirst()),
                          keyShape: inputs.key.map { Array($0.shape.dropFirst()) })
        let result = try attend(inputs, training: training)
        try addActivityLoss(result.output)
        return result
    }
}

/// The error for calling an attention layer the way single-input layers are called.
func attentionNeedsSeveralInputs(_ layer: Layer, _ form: String) -> KerasError {
    .invalidArgument("Layer \"\(layer.name)\" attends from a query to a value: call it as \(form)")
}

/// A 0/1 mask as a Float tensor broadcast to `shape` (NumPy rules), checked first.
func broadcastMask(_ mask: Tensor, to shape: [Int], layer: String, what: String) throws -> Tensor {
    let problem = KerasError.incompatibleInput(
        layer: layer, message: "\(what) of shape \(shapeString(mask.shape)) does not broadcast to the attention scores' shape \(shapeString(shape))")
    guard mask.rank <= shape.count,
          let full = try? withoutGradients({ try mask.detached.mapDetached { $0 > 0.5 ? 1 : 0 } * Tensor.ones(shape) }),
          full.shape == shape else { throw problem }
    return full
}

/// The causal mask (1, Tq, Tv): 1 where the value step j is at most the query step i.
func causalMask(queryLength: Int, valueLength: Int) -> Tensor {
    var mask = Tensor.zeros([1, queryLength, valueLength])
    mask.withMutableData { p in
        for i in 0..<queryLength { for j in 0..<Swift.min(i + 1, valueLength) { p[i * valueLength + j] = 1 } }
    }
    return mask
}
