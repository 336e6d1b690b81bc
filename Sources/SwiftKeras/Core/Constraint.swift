/// A projection applied to a weight after every optimizer step (Keras's `constraints`):
/// `.maxNorm(3)`, `.nonNeg`, `.unitNorm()`, `.minMaxNorm(...)`, or Keras's strings
/// `"max_norm"`, `"non_neg"`, `"unit_norm"`, `"min_max_norm"`.
///
/// Norms are taken over `axis` (default 0: for a Dense kernel (input, units), each unit's
/// incoming weights; for a Conv2D kernel use axis [0, 1, 2], each filter), and the weight
/// is rescaled by desired / (1e-7 + norm), as Keras does.
public struct Constraint: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case maxNorm(maxValue: Float, axis: [Int])
        case nonNeg
        case unitNorm(axis: [Int])
        case minMaxNorm(minValue: Float, maxValue: Float, rate: Float, axis: [Int])
        case unknown(String)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    /// Rescales so the norm over `axis` is at most `maxValue` (Keras's MaxNorm).
    public static func maxNorm(_ maxValue: Float = 2, axis: Int = 0) -> Constraint { Constraint(.maxNorm(maxValue: maxValue, axis: [axis])) }
    public static func maxNorm(_ maxValue: Float = 2, axes: [Int]) -> Constraint { Constraint(.maxNorm(maxValue: maxValue, axis: axes)) }
    /// Sets negative values to zero (Keras's NonNeg).
    public static let nonNeg = Constraint(.nonNeg)
    /// Rescales to unit norm over `axis` (Keras's UnitNorm).
    public static func unitNorm(axis: Int = 0) -> Constraint { Constraint(.unitNorm(axis: [axis])) }
    public static func unitNorm(axes: [Int]) -> Constraint { Constraint(.unitNorm(axis: axes)) }
    /// Moves the norm over `axis` into [minValue, maxValue] at `rate` (Keras's MinMaxNorm).
    public static func minMaxNorm(minValue: Float = 0, maxValue: Float = 1, rate: Float = 1, axis: Int = 0) -> Constraint {
        Constraint(.minMaxNorm(minValue: minValue, maxValue: maxValue, rate: rate, axis: [axis]))
    }
    public static func minMaxNorm(minValue: Float = 0, maxValue: Float = 1, rate: Float = 1, axes: [Int]) -> Constraint {
        Constraint(.minMaxNorm(minValue: minValue, maxValue: maxValue, rate: rate, axis: axes))
    }

    /// Keras's identifiers with their defaults: "max_norm", "non_neg", "unit_norm",
    /// "min_max_norm" (and the class names "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm").
    public init(stringLiteral value: String) {
        switch value {
        case "max_norm", "MaxNorm": self = .maxNorm()
        case "non_neg", "NonNeg": self = .nonNeg
        case "unit_norm", "UnitNorm": self = .unitNorm()
        case "min_max_norm", "MinMaxNorm": self = .minMaxNorm()
        default: self.init(.unknown(value))
        }
    }

    /// Keras's class name.
    public var className: String {
        switch kind {
        case .maxNorm: return "MaxNorm"
        case .nonNeg: return "NonNeg"
        case .unitNorm: return "UnitNorm"
        case .minMaxNorm: return "MinMaxNorm"
        case let .unknown(name): return name
        }
    }

    public var description: String { className }

    /// Throws for identifiers Keras would not recognize and for axes outside the weight.
    public func validate(layer: String, argument: String, weightShape: [Int]) throws {
        let axes: [Int]
        switch kind {
        case let .unknown(name):
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": could not interpret constraint identifier '\(name)' for \(argument) (expected one of: max_norm, non_neg, unit_norm, min_max_norm)")
        case .nonNeg: return
        case let .maxNorm(maxValue, axis):
            guard maxValue >= 0 else {
                throw KerasError.invalidArgument("Layer \"\(layer)\": \(argument) MaxNorm max_value must be non-negative, received \(maxValue)")
            }
            axes = axis
        case let .unitNorm(axis): axes = axis
        case let .minMaxNorm(minValue, maxValue, rate, axis):
            guard minValue >= 0, maxValue >= minValue, rate >= 0, rate <= 1 else {
                throw KerasError.invalidArgument(
                    "Layer \"\(layer)\": \(argument) MinMaxNorm needs 0 <= min_value <= max_value and rate in [0, 1], received min_value=\(minValue), max_value=\(maxValue), rate=\(rate)")
            }
            axes = axis
        }
        let rank = weightShape.count
        for a in axes where a >= rank || a < -rank {
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": \(argument) axis \(a) is out of range for a weight of shape \(shapeString(weightShape))")
        }
    }

    /// The projected weight (computed without the tape).
    public func callAsFunction(_ w: Tensor) throws -> Tensor {
        try withoutGradients {
            func norms(_ axes: [Int]) throws -> Tensor { try w.squared().sum(axes: axes, keepDims: true).sqrt() }
            let epsilon: Float = 1e-7
            switch kind {
            case .nonNeg:
                return w.mapDetached { $0 < 0 ? 0 : $0 }
            case let .maxNorm(maxValue, axis):
                let n = try norms(axis)
                return try w * (n.clipped(min: 0, max: maxValue) / (n + epsilon))
            case let .unitNorm(axis):
                return try w / (norms(axis) + epsilon)
            case let .minMaxNorm(minValue, maxValue, rate, axis):
                let n = try norms(axis)
                let desired = try n.clipped(min: minValue, max: maxValue) * rate + n * (1 - rate)
                return try w * (desired / (n + epsilon))
            case let .unknown(name):
                throw KerasError.invalidArgument("Could not interpret constraint identifier: '\(name)'")
            }
        }
    }
}
