/// Softmax over `axes` (Keras's `Softmax` layer; default the last axis, counted with the
/// batch). With a mask, masked positions are left out (their logits set to -1e9) and their
/// outputs are 0, as Keras does.
public final class Softmax: Layer {
    public let axes: [Int]

    public init(axes: [Int], inputShape: [Int]? = nil, name: String? = nil) {
        self.axes = axes
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(axis: Int = -1, inputShape: [Int]? = nil, name: String? = nil) {
        self.init(axes: [axis], inputShape: inputShape, name: name)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        _ = try normalizedSoftmaxAxes(axes, rank: inputShape.count + 1, layer: name)
    }

    public override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        try maskedSoftmax(input, mask: mask, axes: axes, layer: name)
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["axis"] = axes.count == 1 ? .int(axes[0]) : .array(axes.map { .int($0) })
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Softmax(axes: try config.axes("axis") ?? [-1], name: config.name)
    }
}

/// Sorted, non-negative axes of a rank-`rank` tensor; throws naming the layer.
func normalizedSoftmaxAxes(_ axes: [Int], rank: Int, layer: String) throws -> [Int] {
    var result: [Int] = []
    for axis in axes {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw KerasError.invalidArgument("Layer \"\(layer)\": softmax axis \(axis) is out of range for inputs of rank \(rank)")
        }
        if !result.contains(a) { result.append(a) }
    }
    guard !result.isEmpty else { throw KerasError.invalidArgument("Layer \"\(layer)\": softmax needs at least one axis") }
    return result.sorted()
}

/// Softmax of `x` over `axes`; where `mask` (broadcastable to x; values above 0.5 count as
/// kept) is 0 the logit is replaced by -1e9 and the output by 0 (Keras's Softmax layer).
func maskedSoftmax(_ x: Tensor, mask: Tensor?, axes: [Int], layer: String) throws -> Tensor {
    var logits = x
    var keep: Tensor?
    if let mask {
        guard mask.rank <= x.rank else {
            throw KerasError.incompatibleInput(
                layer: layer, message: "the mask must be broadcastable to the inputs: mask shape \(shapeString(mask.shape)), inputs shape \(shapeString(x.shape))")
        }
        for (m, i) in zip(mask.shape.reversed(), x.shape.reversed()) where m != 1 && m != i {
            throw KerasError.incompatibleInput(
                layer: layer, message: "the mask must be broadcastable to the inputs: mask shape \(shapeString(mask.shape)), inputs shape \(shapeString(x.shape))")
        }
        let binary = mask.detached.mapDetached { $0 > 0.5 ? 1 : 0 }
        keep = binary
        // x where kept, -1e9 elsewhere (exact for finite x: x·1 + 0 and x·0 − 1e9).
        logits = try x * binary + (1 - binary) * -1e9
    }
    let rank = x.rank
    let normalized = try normalizedSoftmaxAxes(axes, rank: rank, layer: layer)
    var output: Tensor
    if normalized == [rank - 1] {
        output = logits.softmax()
    } else {
        // Move the axes to the end, merge them, softmax over the merged axis, undo.
        let kept = (0..<rank).filter { !normalized.contains($0) }
        let permutation = kept + normalized
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        let moved = try logits.transposed(permutation)
        let movedShape = moved.shape
        let merged = try moved.reshaped(Array(movedShape.prefix(kept.count)) + [-1])
        output = try merged.softmax().reshaped(movedShape).transposed(inverse)
    }
    if let keep { output = try output * keep }
    return output
}
