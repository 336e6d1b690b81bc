/// What SimpleRNN, LSTM and GRU share (Keras's `RNN` over a cell): weights in Keras's
/// layout (kernel (input_dim, gates·units), recurrent_kernel (units, gates·units), bias),
/// return_sequences / return_state / go_backwards, masking, dropout and recurrent dropout.
/// The computation is the engine's fused `recurrent` op.
public class RNNLayer: Layer {
    public enum Kind: String, Sendable {
        case simpleRNN = "SimpleRNN", lstm = "LSTM", gru = "GRU"
    }

    public let kind: Kind
    public let units: Int
    public let activation: Activation
    public let recurrentActivation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    /// LSTM: start the forget-gate bias at one (Keras's default).
    public let unitForgetBias: Bool
    /// GRU: apply the reset gate after the recurrent matmul (Keras's default).
    public let resetAfter: Bool
    public let returnSequences: Bool
    public let returnState: Bool
    public let goBackwards: Bool
    public let dropout: Float
    public let recurrentDropout: Float
    public private(set) var kernel: Variable?
    public private(set) var recurrentKernel: Variable?
    public private(set) var bias: Variable?
    /// Outputs at masked steps are zeros instead of the previous output (Keras's
    /// `zero_output_for_mask`; Bidirectional sets it on its copies when it returns sequences).
    public internal(set) var zeroOutputForMask = false
    /// The initial-state shapes of the symbolic call that built the layer, if it had any
    /// (Keras then records them in `build_config`).
    var builtInitialStateCount = 0

    init(kind: Kind, units: Int, activation: Activation, recurrentActivation: Activation, useBias: Bool,
         kernelInitializer: Initializer, recurrentInitializer: Initializer, biasInitializer: Initializer,
         unitForgetBias: Bool, resetAfter: Bool, returnSequences: Bool, returnState: Bool, goBackwards: Bool,
         dropout: Float, recurrentDropout: Float, inputShape: [Int]?, name: String?) {
        self.kind = kind
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.unitForgetBias = unitForgetBias
        self.resetAfter = resetAfter
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        super.init(name: name ?? LayerNames.unique(kind.rawValue), inputShape: inputShape)
    }

    /// The same configuration under another name, optionally reading the sequence the
    /// other way (Bidirectional's forward and backward copies).
    func copy(name: String, goBackwards: Bool) -> RNNLayer {
        let layer: RNNLayer
        switch kind {
        case .simpleRNN:
            layer = SimpleRNN(units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
                              recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, dropout: dropout,
                              recurrentDropout: recurrentDropout, returnSequences: returnSequences, returnState: returnState,
                              goBackwards: goBackwards, name: name)
        case .lstm:
            layer = LSTM(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                         kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                         biasInitializer: biasInitializer, unitForgetBias: unitForgetBias, dropout: dropout,
                         recurrentDropout: recurrentDropout, returnSequences: returnSequences, returnState: returnState,
                         goBackwards: goBackwards, name: name)
        case .gru:
            layer = GRU(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                        kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                        biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
                        returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                        resetAfter: resetAfter, name: name)
        }
        layer.zeroOutputForMask = zeroOutputForMask
        layer.trainable = trainable
        return layer
    }

    public override var className: String { kind.rawValue }

    func cell() throws -> RecurrentCell {
        let a = try activation.scalar(layer: name)
        switch kind {
        case .simpleRNN: return .simple(activation: a)
        case .lstm: return .lstm(activation: a, recurrentActivation: try recurrentActivation.scalar(layer: name))
        case .gru: return .gru(activation: a, recurrentActivation: try recurrentActivation.scalar(layer: name), resetAfter: resetAfter)
        }
    }

    public override func inputSpec() -> InputSpec {
        if let features = builtInputShape?.last { return InputSpec(ndim: 3, axes: [-1: features]) }
        return InputSpec(ndim: 3)
    }

    public override func build(inputShape: [Int]) throws {
        guard units > 0 else { throw KerasError.invalidArgument("Layer \"\(name)\": units must be positive, received \(units)") }
        guard (0..<1).contains(dropout), (0..<1).contains(recurrentDropout) else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": dropout and recurrent_dropout must be in [0, 1), received \(dropout) and \(recurrentDropout)")
        }
        let cell = try cell()
        let gates = cell.gateCount * units
        kernel = try addWeight(name: "kernel", shape: [inputShape[1], gates], initializer: kernelInitializer)
        recurrentKernel = try addWeight(name: "recurrent_kernel", shape: [units, gates], initializer: recurrentInitializer)
        if useBias {
            let variable = try addWeight(name: "bias", shape: cell.biasShape(units: units), initializer: biasInitializer)
            if kind == .lstm && unitForgetBias {
                // Keras's unit_forget_bias: the forget gate's slice starts at one.
                variable.update { p, _ in for j in units..<(2 * units) { p[j] = 1 } }
            }
            bias = variable
        }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        return returnSequences ? [inputShape[0], units] : [units]
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { returnSequences ? mask : nil }

    public override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        try run(input, initialState: nil, mask: mask, training: training).output
    }

    /// The output and the final states (h, or h and c for LSTM), as Keras returns them with
    /// `return_state=True`; `initialState` is Keras's `initial_state` call argument.
    public func callWithStates(_ input: Tensor, initialState: [Tensor]? = nil, mask: Tensor? = nil,
                               training: Bool = false) throws -> (output: Tensor, states: [Tensor]) {
        try buildIfNeeded(inputShape: Array(input.shape.dropFirst()))
        return try run(input, initialState: initialState, mask: mask, training: training)
    }

    func run(_ input: Tensor, initialState: [Tensor]?, mask: Tensor?, training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        let cell = try cell()
        let (batch, steps) = (input.shape[0], input.shape[1])
        guard steps > 0 else {
            throw KerasError.incompatibleInput(layer: name, message: "the input has no timesteps: \(shapeString(input.shape))")
        }
        if let initialState {
            let expected = Array(repeating: shapeString([batch, units]), count: cell.stateCount)
            guard initialState.map({ shapeString($0.shape) }) == expected else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": initial_state expected \(cell.stateCount) tensor(s) of shape \(shapeString([batch, units])), received \(initialState.map { shapeString($0.shape) }.joined(separator: ", "))")
            }
        }
        if let mask, mask.shape != [batch, steps] {
            throw KerasError.incompatibleInput(
                layer: name, message: "mask of shape \(shapeString(mask.shape)) does not match the input \(shapeString(input.shape))")
        }
        var x = input
        var recurrentMask: Tensor?
        if training && dropout > 0 {
            // One mask per sequence, reused at every timestep, as Keras does.
            x = try x * dropoutMask([batch, 1, input.shape[2]], rate: dropout)
        }
        if training && recurrentDropout > 0 { recurrentMask = dropoutMask([batch, units], rate: recurrentDropout) }
        let result = try recurrent(x, kernel: kernel!.value, recurrentKernel: recurrentKernel!.value, bias: bias?.value,
                                   cell: cell, initialStates: initialState, mask: mask, goBackwards: goBackwards,
                                   recurrentDropoutMask: recurrentMask)
        guard returnSequences else { return (result.lastOutput, result.states) }
        if zeroOutputForMask, let mask {
            // The sequence comes in processing order, so a backward layer's mask is reversed too.
            var keep = try mask.detached.reshaped([batch, steps, 1])
            if goBackwards { keep = try keep.reversedTime() }
            return (try result.sequence * keep, result.states)
        }
        return (result.sequence, result.states)
    }

    // MARK: Configuration

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "return_sequences": .bool(returnSequences), "return_state": .bool(returnState),
            "go_backwards": .bool(goBackwards), "stateful": false, "unroll": false,
            "zero_output_for_mask": .bool(zeroOutputForMask), "units": .int(units), "activation": .string(activation.name),
        ])
        if kind != .simpleRNN { config["recurrent_activation"] = .string(recurrentActivation.name) }
        config.merge([
            "use_bias": .bool(useBias), "kernel_initializer": kernelInitializer.config,
            "recurrent_initializer": recurrentInitializer.config, "bias_initializer": biasInitializer.config,
        ])
        if kind == .lstm { config["unit_forget_bias"] = .bool(unitForgetBias) }
        config.merge([
            "kernel_regularizer": nil, "recurrent_regularizer": nil, "bias_regularizer": nil, "activity_regularizer": nil,
            "kernel_constraint": nil, "recurrent_constraint": nil, "bias_constraint": nil,
            "dropout": .float(dropout), "recurrent_dropout": .float(recurrentDropout),
        ])
        if kind == .gru { config["reset_after"] = .bool(resetAfter) }
        if kind != .simpleRNN { config["seed"] = .null }
        return config
    }

    public override var buildConfig: ConfigObject? {
        guard let shape = builtInputShape else { return nil }
        guard builtInitialStateCount > 0 else { return ["input_shape": .batchShape(shape)] }
        let state = ConfigValue.batchShape([units])
        return ["shapes_dict": ["sequences_shape": .batchShape(shape),
                                "initial_state_shape": .array(Array(repeating: state, count: builtInitialStateCount))]]
    }

    /// What the three recurrent layers read from a config; the layer-specific keys
    /// (recurrent_activation, unit_forget_bias, reset_after) are read by the subclasses.
    struct CommonArguments {
        let units: Int, activation: Activation, useBias: Bool
        let kernelInitializer: Initializer, recurrentInitializer: Initializer, biasInitializer: Initializer
        let dropout: Float, recurrentDropout: Float
        let returnSequences: Bool, returnState: Bool, goBackwards: Bool, zeroOutputForMask: Bool
    }

    static func commonArguments(_ config: LayerConfig) throws -> CommonArguments {
        try config.requireNull("kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                               "kernel_constraint", "recurrent_constraint", "bias_constraint")
        try config.require("stateful", false)
        // unroll changes how Keras runs the loop, not the result; seeds drive Keras's own generator.
        config.ignore("unroll", "seed")
        return CommonArguments(
            units: try config.int("units"), activation: try config.activation("activation", default: .tanh),
            useBias: try config.bool("use_bias", default: true),
            kernelInitializer: try config.initializer("kernel_initializer", default: .glorotUniform),
            recurrentInitializer: try config.initializer("recurrent_initializer", default: .orthogonal()),
            biasInitializer: try config.initializer("bias_initializer", default: .zeros),
            dropout: try config.float("dropout", default: 0), recurrentDropout: try config.float("recurrent_dropout", default: 0),
            returnSequences: try config.bool("return_sequences", default: false),
            returnState: try config.bool("return_state", default: false),
            goBackwards: try config.bool("go_backwards", default: false),
            zeroOutputForMask: try config.bool("zero_output_for_mask", default: false))
    }
}

/// Fully connected recurrence: h_t = activation(x_t · W + h_{t-1} · U + b).
public final class SimpleRNN: RNNLayer {
    public init(_ units: Int, activation: Activation = .tanh, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(),
                biasInitializer: Initializer = .zeros, dropout: Float = 0, recurrentDropout: Float = 0,
                returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                inputShape: [Int]? = nil, name: String? = nil) {
        super.init(kind: .simpleRNN, units: units, activation: activation, recurrentActivation: .sigmoid, useBias: useBias,
                   kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                   biasInitializer: biasInitializer, unitForgetBias: false, resetAfter: false,
                   returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   dropout: dropout, recurrentDropout: recurrentDropout, inputShape: inputShape, name: name)
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let a = try commonArguments(config)
        let layer = SimpleRNN(a.units, activation: a.activation, useBias: a.useBias, kernelInitializer: a.kernelInitializer,
                              recurrentInitializer: a.recurrentInitializer, biasInitializer: a.biasInitializer,
                              dropout: a.dropout, recurrentDropout: a.recurrentDropout, returnSequences: a.returnSequences,
                              returnState: a.returnState, goBackwards: a.goBackwards, name: config.name)
        layer.zeroOutputForMask = a.zeroOutputForMask
        return layer
    }
}

/// Long short-term memory (Hochreiter & Schmidhuber 1997), Keras's gate order i, f, c, o.
public final class LSTM: RNNLayer {
    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal(), biasInitializer: Initializer = .zeros,
                unitForgetBias: Bool = true, dropout: Float = 0, recurrentDropout: Float = 0,
                returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                inputShape: [Int]? = nil, name: String? = nil) {
        super.init(kind: .lstm, units: units, activation: activation, recurrentActivation: recurrentActivation,
                   useBias: useBias, kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                   biasInitializer: biasInitializer, unitForgetBias: unitForgetBias, resetAfter: false,
                   returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   dropout: dropout, recurrentDropout: recurrentDropout, inputShape: inputShape, name: name)
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let a = try commonArguments(config)
        let layer = LSTM(a.units, activation: a.activation,
                         recurrentActivation: try config.activation("recurrent_activation", default: .sigmoid),
                         useBias: a.useBias, kernelInitializer: a.kernelInitializer,
                         recurrentInitializer: a.recurrentInitializer, biasInitializer: a.biasInitializer,
                         unitForgetBias: try config.bool("unit_forget_bias", default: true), dropout: a.dropout,
                         recurrentDropout: a.recurrentDropout, returnSequences: a.returnSequences,
                         returnState: a.returnState, goBackwards: a.goBackwards, name: config.name)
        layer.zeroOutputForMask = a.zeroOutputForMask
        return layer
    }
}

/// Gated recurrent unit (Cho et al. 2014), Keras's gate order z, r, h.
public final class GRU: RNNLayer {
    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal(), biasInitializer: Initializer = .zeros,
                dropout: Float = 0, recurrentDropout: Float = 0, returnSequences: Bool = false,
                returnState: Bool = false, goBackwards: Bool = false, resetAfter: Bool = true,
                inputShape: [Int]? = nil, name: String? = nil) {
        super.init(kind: .gru, units: units, activation: activation, recurrentActivation: recurrentActivation,
                   useBias: useBias, kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                   biasInitializer: biasInitializer, unitForgetBias: false, resetAfter: resetAfter,
                   returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                   dropout: dropout, recurrentDropout: recurrentDropout, inputShape: inputShape, name: name)
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let a = try commonArguments(config)
        let layer = GRU(a.units, activation: a.activation,
                        recurrentActivation: try config.activation("recurrent_activation", default: .sigmoid),
                        useBias: a.useBias, kernelInitializer: a.kernelInitializer,
                        recurrentInitializer: a.recurrentInitializer, biasInitializer: a.biasInitializer,
                        dropout: a.dropout, recurrentDropout: a.recurrentDropout, returnSequences: a.returnSequences,
                        returnState: a.returnState, goBackwards: a.goBackwards,
                        resetAfter: try config.bool("reset_after", default: true), name: config.name)
        layer.zeroOutputForMask = a.zeroOutputForMask
        return layer
    }
}
