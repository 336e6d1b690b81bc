/// An activation function, written `.relu` or as Keras's string "relu".
///
/// A misspelled string cannot be rejected where it is written (string literals cannot
/// throw), so layers check their activation when they are built and throw there.
public struct Activation: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let name: String

    public static let linear = Activation(name: "linear")
    public static let relu = Activation(name: "relu")
    public static let sigmoid = Activation(name: "sigmoid")
    public static let tanh = Activation(name: "tanh")
    public static let softmax = Activation(name: "softmax")
    public static let hardSigmoid = Activation(name: "hard_sigmoid")
    public static let elu = Activation(name: "elu")
    public static let selu = Activation(name: "selu")
    public static let celu = Activation(name: "celu")
    public static let gelu = Activation(name: "gelu")
    public static let silu = Activation(name: "silu")
    /// Keras's alias of silu (stored as "silu").
    public static let swish = Activation(name: "swish")
    public static let softplus = Activation(name: "softplus")
    public static let softsign = Activation(name: "softsign")
    public static let exponential = Activation(name: "exponential")
    public static let relu6 = Activation(name: "relu6")
    public static let leakyRelu = Activation(name: "leaky_relu")
    public static let logSoftmax = Activation(name: "log_softmax")
    public static let logSigmoid = Activation(name: "log_sigmoid")
    public static let hardSilu = Activation(name: "hard_silu")
    /// Keras's alias of hard_silu (stored as "hard_silu").
    public static let hardSwish = Activation(name: "hard_swish")
    public static let hardTanh = Activation(name: "hard_tanh")
    public static let mish = Activation(name: "mish")
    public static let tanhShrink = Activation(name: "tanh_shrink")
    public static let softShrink = Activation(name: "soft_shrink")
    public static let hardShrink = Activation(name: "hard_shrink")
    public static let sparsePlus = Activation(name: "sparse_plus")
    public static let squareplus = Activation(name: "squareplus")
    public static let known: [Activation] = [
        .linear, .relu, .sigmoid, .tanh, .softmax, .hardSigmoid, .elu, .selu, .celu, .gelu, .silu,
        .softplus, .softsign, .exponential, .relu6, .leakyRelu, .logSoftmax, .logSigmoid, .hardSilu,
        .hardTanh, .mish, .tanhShrink, .softShrink, .hardShrink, .sparsePlus, .squareplus,
    ]

    /// Keras's aliases are stored (and saved) under the names Keras serializes them as.
    public init(name: String) {
        switch name {
        case "None": self.name = "linear"
        case "swish": self.name = "silu"
        case "hard_swish": self.name = "hard_silu"
        default: self.name = name
        }
    }
    public init(stringLiteral value: String) { self.init(name: value) }
    public var description: String { name }

    /// Throws for names Keras would not recognize.
    public func validate(layer: String) throws {
        guard Activation.known.contains(self) else {
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": could not interpret activation function identifier '\(name)' (expected one of: "
                    + Activation.known.map(\.name).joined(separator: ", ") + ")")
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch name {
        case "relu": return x.relu()
        case "sigmoid": return x.sigmoid()
        case "tanh": return x.tanh()
        case "softmax": return x.softmax()
        case "hard_sigmoid": return (x * (1.0 / 6) + 0.5).clipped(min: 0, max: 1)
        case "elu": return x.elu()
        case "selu": return x.selu()
        case "celu": return x.celu()
        case "gelu": return x.gelu()
        case "silu": return x.silu()
        case "softplus": return x.softplus()
        case "softsign": return x.softsign()
        case "exponential": return x.exp()
        case "relu6": return x.relu6()
        case "leaky_relu": return x.leakyRelu()
        case "log_softmax": return x.logSoftmax()
        case "log_sigmoid": return x.logSigmoid()
        case "hard_silu": return x.hardSilu()
        case "hard_tanh": return x.hardTanh()
        case "mish": return x.mish()
        case "tanh_shrink": return x.tanhShrink()
        case "soft_shrink": return x.softShrink()
        case "hard_shrink": return x.hardShrink()
        case "sparse_plus": return x.sparsePlus()
        case "squareplus": return x.squareplus()
        default: return x
        }
    }
}

extension Activation {
    /// The engine's element function for recurrent cells; throws for softmax and unknown names.
    func scalar(layer: String) throws -> ScalarActivation {
        guard let scalar = ScalarActivation(rawValue: name) else {
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": activation '\(name)' cannot be used inside a recurrent cell (use one of: "
                    + ScalarActivation.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        return scalar
    }
}
