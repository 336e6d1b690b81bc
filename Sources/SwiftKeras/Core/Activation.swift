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
    public static let known: [Activation] = [.linear, .relu, .sigmoid, .tanh, .softmax, .hardSigmoid]

    public init(name: String) { self.name = name == "None" ? "linear" : name }
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
