/// Runs a recurrent layer over the sequence in both directions and merges the two outputs
/// (Keras's `Bidirectional`). The backward copy's sequence is re-reversed so both align in time.
public final class Bidirectional: Layer {
    /// How the two directions combine; `none` keeps them apart (`callSeparately`).
    public enum MergeMode: String, Sendable { case concat, sum, mul, ave, none }

    public let forwardLayer: RNNLayer
    public let backwardLayer: RNNLayer
    public let mergeMode: MergeMode

    public init(_ layer: RNNLayer, mergeMode: MergeMode = .concat, inputShape: [Int]? = nil, name: String? = nil) {
        // As Keras: masked steps give zeros in both directions when sequences are returned,
        // and a layer already named "forward_..." (from a saved config) keeps its name.
        let base = layer.name.hasPrefix("forward_") ? String(layer.name.dropFirst("forward_".count)) : layer.name
        forwardLayer = layer.copy(name: "forward_" + base, goBackwards: layer.goBackwards)
        backwardLayer = layer.copy(name: "backward_" + base, goBackwards: !layer.goBackwards)
        forwardLayer.zeroOutputForMask = layer.returnSequences
        backwardLayer.zeroOutputForMask = layer.returnSequences
        self.mergeMode = mergeMode
        super.init(name: name, inputShape: inputShape ?? layer.declaredInputShape)
    }

    /// Both directions given (Keras's `backward_layer` argument, as saved configs have it).
    init(forward: RNNLayer, backward: RNNLayer, mergeMode: MergeMode, name: String?) {
        forwardLayer = forward
        backwardLayer = backward
        self.mergeMode = mergeMode
        super.init(name: name, inputShape: nil)
    }

    public override var weights: [Variable] { forwardLayer.weights + backwardLayer.weights }
    public override var sublayers: [Layer] { [forwardLayer, backwardLayer] }

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
        let forward = try forwardLayer(input, mask: mask, training: training)
        var backward = try backwardLayer(input, mask: mask, training: training)
        if backwardLayer.returnSequences { backward = try backward.reversedTime() }
        return (forward, backward)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["merge_mode"] = mergeMode == .none ? .null : .string(mergeMode.rawValue)
        // serializeLayer checks the inner layers before asking for this config.
        config["layer"] = (try? serializeLayer(forwardLayer)) ?? .null
        config["backward_layer"] = (try? serializeLayer(backwardLayer)) ?? .null
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        func recurrent(_ key: String) throws -> RNNLayer? {
            guard config.value(key) != nil else { return nil }
            guard let layer = try config.layer(key) as? RNNLayer else {
                throw SavingError("\(config.what): '\(key)' must be a SimpleRNN, LSTM or GRU layer")
            }
            return layer
        }
        var mode = MergeMode.none
        if let value = config.value("merge_mode") {
            guard let name = value.stringValue, let named = MergeMode(rawValue: name), named != .none else {
                throw config.problem("merge_mode", "one of concat, sum, mul, ave or null", found: value)
            }
            mode = named
        }
        config.ignore("weights")
        guard let forward = try recurrent("layer") else { throw SavingError("\(config.what): the config has no 'layer'") }
        guard let backward = try recurrent("backward_layer") else {
            return Bidirectional(forward, mergeMode: mode, name: config.name)
        }
        guard backward.goBackwards != forward.goBackwards, backward.returnSequences == forward.returnSequences else {
            throw SavingError("\(config.what): 'backward_layer' must read the other way (go_backwards) and match return_sequences")
        }
        return Bidirectional(forward: forward, backward: backward, mergeMode: mode, name: config.name)
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
    public override var sublayers: [Layer] { [layer] }
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

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["layer"] = (try? serializeLayer(layer)) ?? .null
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        TimeDistributed(try config.layer("layer"), name: config.name)
    }
}
