/// Runs a recurrent layer over the sequence in both directions and merges the two outputs
/// (Keras's `Bidirectional`). The backward copy's sequence is re-reversed so both align in time.
public final class Bidirectional: Layer {
    /// How the two directions combine; `none` keeps them apart (`callSeparately`).
    public enum MergeMode: String, Sendable { case concat, sum, mul, ave, none }

    public let forwardLayer: RNNLayer
    public let backwardLayer: RNNLayer
    public let mergeMode: MergeMode

    public init(_ layer: RNNLayer, mergeMode: MergeMode = .concat, inputShape: [Int]? = nil, name: String? = nil) {
        forwardLayer = layer.copy(name: "forward_" + layer.name, goBackwards: layer.goBackwards)
        backwardLayer = layer.copy(name: "backward_" + layer.name, goBackwards: !layer.goBackwards)
        self.mergeMode = mergeMode
        super.init(name: name, inputShape: inputShape ?? layer.declaredInputShape)
    }

    public override var weights: [Variable] { forwardLayer.weights + backwardLayer.weights }

    public override func inputSpec() -> InputSpec { forwardLayer.inputSpec() }

    public override func build(inputShape: [Int]) throws {
        try forwardLayer.buildIfNeeded(inputShape: inputShape)
        try backwardLayer.buildIfNeeded(inputShape: inputShape)
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        var shape = try forwardLayer.outputShape(for: inputShape)
        if mergeMode == .concat { shape[shape.count - 1] *= 2 }
        return shape
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { forwardLayer.computeMask(input, mask: mask) }

    public override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        let (forward, backward) = try callSeparately(input, mask: mask, training: training)
        switch mergeMode {
        case .concat: return try concatenate([forward, backward])
        case .sum: return try forward + backward
        case .mul: return try forward * backward
        case .ave: return try (forward + backward) * 0.5
        case .none:
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": merge_mode none gives two outputs; call callSeparately(_:mask:training:) instead of using it as a single-output layer")
        }
    }

    /// The forward and the (re-reversed) backward outputs, unmerged (Keras's merge_mode=None).
    public func callSeparately(_ input: Tensor, mask: Tensor? = nil, training: Bool = false) throws -> (forward: Tensor, backward: Tensor) {
        try buildIfNeeded(inputShape: Array(input.shape.dropFirst()))
        var forward = try forwardLayer(input, mask: mask, training: training)
        var backward = try backwardLayer(input, mask: mask, training: training)
        if backwardLayer.returnSequences {
            backward = try backward.reversedTime()
            if let mask {
                // Keras zeroes masked steps of both directions here (zero_output_for_mask).
                let steps = try mask.detached.reshaped(mask.shape + [1])
                forward = try forward * steps
                backward = try backward * steps
            }
        }
        return (forward, backward)
    }
}

/// Applies a layer to every timestep of (batch, time, ...) independently, with shared weights.
public final class TimeDistributed: Layer {
    public let layer: Layer

    public init(_ layer: Layer, inputShape: [Int]? = nil, name: String? = nil) {
        self.layer = layer
        super.init(name: name, inputShape: inputShape)
    }

    public override var weights: [Variable] { layer.weights }
    public override var supportsMasking: Bool { true }

    public override func inputSpec() -> InputSpec { InputSpec(minNdim: 3) }

    public override func build(inputShape: [Int]) throws {
        try layer.buildIfNeeded(inputShape: Array(inputShape.dropFirst()))
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        [inputShape[0]] + (try layer.outputShape(for: Array(inputShape.dropFirst())))
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let (batch, steps) = (input.shape[0], input.shape[1])
        let folded = try input.reshaped([batch * steps] + Array(input.shape.dropFirst(2)))
        let output = try layer(folded, training: training)
        return try output.reshaped([batch, steps] + Array(output.shape.dropFirst()))
    }
}
