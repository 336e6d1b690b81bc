/// A penalty on a weight or on a layer's output, added to the training loss (Keras's
/// `regularizers`): `.l2(0.01)`, `.l1l2(l1: 1e-5, l2: 1e-4)` or Keras's strings `"l1"`,
/// `"l2"`, `"l1l2"`.
///
/// A weight's penalty (`kernelRegularizer`, `biasRegularizer`, ...) is computed from its
/// current value at every training step; an output's (`activityRegularizer`) from the
/// layer's output, divided by the batch size, as Keras 3 does. Both join the loss that
/// `fit` minimizes and reports, and `Model.losses`.
public struct Regularizer: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// l1 · Σ|x| + l2 · Σx² (Keras's L1, L2 and L1L2).
        case l1l2(l1: Float, l2: Float)
        /// factor · mean |off-diagonal of the Gram matrix of the L2-normalized rows (or columns)|,
        /// for rank-2 weights (Keras's OrthogonalRegularizer).
        case orthogonal(factor: Float, rows: Bool)
        /// A name Keras does not know; reported when the layer builds.
        case unknown(String)
    }

    public let kind: Kind
    /// Keras's class name: "L1", "L2", "L1L2", "OrthogonalRegularizer".
    public let className: String

    init(_ kind: Kind, className: String) {
        self.kind = kind
        self.className = className
    }

    /// l1 · Σ|x| (Keras's `L1`, default 0.01).
    public static func l1(_ l1: Float = 0.01) -> Regularizer { Regularizer(.l1l2(l1: l1, l2: 0), className: "L1") }
    /// l2 · Σx² (Keras's `L2`, default 0.01; no factor 1/2).
    public static func l2(_ l2: Float = 0.01) -> Regularizer { Regularizer(.l1l2(l1: 0, l2: l2), className: "L2") }
    /// l1 · Σ|x| + l2 · Σx² (Keras's `L1L2` / `l1_l2`, whose defaults are 0).
    public static func l1l2(l1: Float = 0, l2: Float = 0) -> Regularizer { Regularizer(.l1l2(l1: l1, l2: l2), className: "L1L2") }
    /// Keras's `OrthogonalRegularizer(factor, mode)`: mode "rows" or "columns".
    public static func orthogonal(factor: Float = 0.01, mode: String = "rows") -> Regularizer {
        guard mode == "rows" || mode == "columns" else {
            return Regularizer(.unknown("OrthogonalRegularizer(mode=\(mode))"), className: "OrthogonalRegularizer")
        }
        return Regularizer(.orthogonal(factor: factor, rows: mode == "rows"), className: "OrthogonalRegularizer")
    }

    /// Keras's identifiers: "l1", "l2", "l1l2" and the class names "L1", "L2", "L1L2",
    /// "orthogonal_regularizer" / "OrthogonalRegularizer", each with its default factors.
    public init(stringLiteral value: String) {
        switch value {
        case "l1", "L1": self = .l1()
        case "l2", "L2": self = .l2()
        case "l1l2", "L1L2": self = .l1l2()
        case "orthogonal_regularizer", "OrthogonalRegularizer": self = .orthogonal()
        default: self.init(.unknown(value), className: value)
        }
    }

    public var description: String {
        switch kind {
        case let .l1l2(l1, l2): return "\(className)(l1=\(l1), l2=\(l2))"
        case let .orthogonal(factor, rows): return "OrthogonalRegularizer(factor=\(factor), mode=\(rows ? "rows" : "columns"))"
        case let .unknown(name): return name
        }
    }

    /// Throws for identifiers Keras would not recognize, naming the layer and the argument.
    public func validate(layer: String, argument: String) throws {
        if case let .unknown(name) = kind {
            throw KerasError.invalidArgument(
                "Layer \"\(layer)\": could not interpret regularizer identifier '\(name)' for \(argument) (expected one of: l1, l2, l1l2, orthogonal_regularizer)")
        }
        if case let .l1l2(l1, l2) = kind, !(l1 >= 0 && l1.isFinite && l2 >= 0 && l2.isFinite) {
            throw KerasError.invalidArgument("Layer \"\(layer)\": \(argument) factors must be finite and non-negative, received \(self)")
        }
    }

    /// The penalty for `x`, a scalar on the tape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch kind {
        case let .l1l2(l1, l2):
            var total = Tensor(0)
            if l1 != 0 { total = try total + (try x.abs().sum()) * l1 }
            if l2 != 0 { total = try total + (try x.squared().sum()) * l2 }
            return total
        case let .orthogonal(factor, rows):
            guard x.rank == 2 else {
                throw KerasError.invalidArgument(
                    "OrthogonalRegularizer: inputs must have rank 2, received shape \(shapeString(x.shape))")
            }
            // Keras normalizes as x · min(1 / ‖x‖, 1e7) along the axis, then sums |off-diagonal|.
            let axis = rows ? 1 : 0
            let norms = try x.squared().sum(axes: [axis], keepDims: true).clipped(min: 1e-14, max: .greatestFiniteMagnitude).sqrt()
            let normalized = try x / norms
            let product = rows ? try normalized.matmul(normalized.transposed()) : try normalized.transposed().matmul(normalized)
            let size = product.shape[0]
            guard size > 1 else { return Tensor(0) }
            var offDiagonal = Tensor.ones([size, size])
            offDiagonal.withMutableData { p in for i in 0..<size { p[i * size + i] = 0 } }
            let pairs = Float(size) * Float(size - 1) / 2
            return try (product * offDiagonal).abs().sum() * (factor * 0.5 / pairs)
        case let .unknown(name):
            throw KerasError.invalidArgument("Could not interpret regularizer identifier: '\(name)'")
        }
    }
}
