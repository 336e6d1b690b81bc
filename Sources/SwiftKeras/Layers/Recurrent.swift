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
        RNNLayer(kind: kind, units: units, activation: activation, recurrentActivation: recurrentActivation,
                 useBias: useBias, kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
                 biasInitializer: biasInitializer, unitForgetBias: unitForgetBias, resetAfter: resetAfter,
                 returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                 dropout: dropout, recurrentDropout: recurrentDropout, inputShape: nil, name: name)
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
        return (returnSequences ? result.sequence : result.lastOutput, result.states)
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
}
