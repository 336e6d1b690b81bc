import Glibc

// Elementwise arithmetic with broadcasting, and the unary math functions.
// Each op computes its output with a raw-pointer loop and records its backward pass.

extension Tensor {
    @inline(__always)
    static func binary(
        _ opName: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float,
        backward: @escaping (_ grad: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) throws -> Tensor {
        let out = try broadcastCombine(a, b, op: opName, f)
        let ad = a.detached, bd = b.detached
        return record(opName, out, inputs: [a, b]) { grad, needs in backward(grad, ad, bd, needs) }
    }

    /// Elementwise function of one tensor, no tape entry.
    @inline(__always)
    public func mapDetached(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, o = out.storage.pointer
        parallelFor(elements: count) { range in
            for i in range { o[i] = f(p[i]) }
        }
        return out
    }

    /// Elementwise function of two same-shaped tensors, no tape entry.
    @inline(__always)
    public func zipDetached(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(count == other.count, "internal: zip of \(shape) and \(other.shape)")
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, q = other.storage.pointer, o = out.storage.pointer
        parallelFor(elements: count) { range in
            for i in range { o[i] = f(p[i], q[i]) }
        }
        return out
    }

    func addingDetached(_ other: Tensor) -> Tensor { zipDetached(other, +) }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        try binary("add", a, b, +) { g, a, b, needs in
            [needs[0] ? g.reduced(toShape: a.shape) : nil, needs[1] ? g.reduced(toShape: b.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        try binary("subtract", a, b, -) { g, a, b, needs in
            [needs[0] ? g.reduced(toShape: a.shape) : nil,
             needs[1] ? g.mapDetached { -$0 }.reduced(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        try binary("multiply", a, b, *) { g, a, b, needs in
            [needs[0] ? (try! broadcastProduct(g, b)).reduced(toShape: a.shape) : nil,
             needs[1] ? (try! broadcastProduct(g, a)).reduced(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        try binary("divide", a, b, /) { g, a, b, needs in
            var grads: [Tensor?] = [nil, nil]
            if needs[0] { grads[0] = (try! broadcastCombine(g, b, /)).reduced(toShape: a.shape) }
            if needs[1] {
                // d(a/b)/db = -a / b^2
                let ab = try! broadcastCombine(a, b) { -$0 / ($1 * $1) }
                grads[1] = (try! broadcastProduct(g, ab)).reduced(toShape: b.shape)
            }
            return grads
        }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { try! a + Tensor(s) }
    public static func - (a: Tensor, s: Float) -> Tensor { try! a - Tensor(s) }
    public static func * (a: Tensor, s: Float) -> Tensor { try! a * Tensor(s) }
    public static func / (a: Tensor, s: Float) -> Tensor { try! a / Tensor(s) }
    public static func + (s: Float, a: Tensor) -> Tensor { try! Tensor(s) + a }
    public static func - (s: Float, a: Tensor) -> Tensor { try! Tensor(s) - a }
    public static func * (s: Float, a: Tensor) -> Tensor { try! Tensor(s) * a }
    public static func / (s: Float, a: Tensor) -> Tensor { try! Tensor(s) / a }
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// Elementwise op whose derivative is a function of its input and output. Generic over
    /// the function type so that both loops are specialized and vectorized per function.
    static func unary<F: UnaryFunction>(_ function: F, _ x: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.storage.pointer, po = out.storage.pointer
        parallelFor(elements: x.count) { range in
            for i in range { po[i] = function.value(px[i]) }
        }
        let xd = x.detached
        return record(F.name, out, inputs: [x]) { g, _ in
            let gx = Tensor(uninitializedShape: xd.shape)
            let pg = g.storage.pointer, px = xd.storage.pointer, py = out.storage.pointer, po = gx.storage.pointer
            parallelFor(elements: xd.count) { range in
                for i in range { po[i] = pg[i] * function.derivative(x: px[i], y: py[i]) }
            }
            return [gx]
        }
    }

    public func exp() -> Tensor { Tensor.unary(Exp(), self) }
    public func log() -> Tensor { Tensor.unary(Log(), self) }
    public func sqrt() -> Tensor { Tensor.unary(Sqrt(), self) }
    public func squared() -> Tensor { Tensor.unary(Square(), self) }
    public func abs() -> Tensor { Tensor.unary(Abs(), self) }
    public func tanh() -> Tensor { Tensor.unary(Tanh(), self) }
    public func relu() -> Tensor { Tensor.unary(ReLU(), self) }
    public func sigmoid() -> Tensor {
        var out = Tensor.unary(Sigmoid(), self)
        out.logitsSource = LogitsSource(kind: .sigmoid, logits: self)
        return out
    }

    /// Clips values to [low, high]; the gradient passes only where the value was inside.
    public func clipped(min low: Float, max high: Float) -> Tensor { Tensor.unary(Clip(low: low, high: high), self) }
}

/// A scalar function and its derivative, for `Tensor.unary`.
protocol UnaryFunction {
    static var name: String { get }
    func value(_ x: Float) -> Float
    /// d value / dx, given the input x and the output y = value(x).
    func derivative(x: Float, y: Float) -> Float
}

struct Exp: UnaryFunction {
    static let name = "exp"
    func value(_ x: Float) -> Float { expf(x) }
    func derivative(x: Float, y: Float) -> Float { y }
}

struct Log: UnaryFunction {
    static let name = "log"
    func value(_ x: Float) -> Float { logf(x) }
    func derivative(x: Float, y: Float) -> Float { 1 / x }
}

struct Sqrt: UnaryFunction {
    static let name = "sqrt"
    func value(_ x: Float) -> Float { sqrtf(x) }
    func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}

struct Square: UnaryFunction {
    static let name = "square"
    func value(_ x: Float) -> Float { x * x }
    func derivative(x: Float, y: Float) -> Float { 2 * x }
}

struct Abs: UnaryFunction {
    static let name = "abs"
    func value(_ x: Float) -> Float { Swift.abs(x) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

struct Tanh: UnaryFunction {
    static let name = "tanh"
    func value(_ x: Float) -> Float { tanhf(x) }
    func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}

struct ReLU: UnaryFunction {
    static let name = "relu"
    func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

struct Sigmoid: UnaryFunction {
    static let name = "sigmoid"
    func value(_ x: Float) -> Float { stableSigmoid(x) }
    func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}

/// The gradient passes only where the input was inside [low, high], as TensorFlow's clip.
struct Clip: UnaryFunction {
    static let name = "clip"
    let low: Float, high: Float
    func value(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
    func derivative(x: Float, y: Float) -> Float { x >= low && x <= high ? 1 : 0 }
}

@inline(__always)
public func stableSigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
}

/// f over the broadcast of `a` and `b`, no tape entry.
@inline(__always)
func broadcastCombine(_ a: Tensor, _ b: Tensor, op: String = "broadcast", _ f: (Float, Float) -> Float) throws -> Tensor {
    let outShape = try broadcastShape(a.shape, b.shape, op: op)
    let out = Tensor(uninitializedShape: outShape)
    broadcastBinary(a, b, outShape: outShape, into: out.storage.pointer, f)
    return out
}

func broadcastProduct(_ a: Tensor, _ b: Tensor) throws -> Tensor { try broadcastCombine(a, b, *) }

/// Elementwise maximum (or minimum) of same-shaped tensors; the gradient goes to the first
/// tensor holding the extreme value.
public func elementwiseExtreme(_ tensors: [Tensor], maximum: Bool) throws -> Tensor {
    guard let first = tensors.first else {
        throw TensorError.invalidArgument(op: maximum ? "maximum" : "minimum", message: "needs at least one tensor")
    }
    for t in tensors where t.shape != first.shape {
        throw TensorError.shapeMismatch(
            op: maximum ? "maximum" : "minimum", message: "shapes \(tensors.map { shapeString($0.shape) }.joined(separator: ", ")) differ")
    }
    let out = first.mapDetached { $0 }
    var winner = [Int32](repeating: 0, count: first.count)
    for (k, t) in tensors.enumerated().dropFirst() {
        let p = t.storage.pointer, o = out.storage.pointer
        for i in 0..<first.count where maximum ? p[i] > o[i] : p[i] < o[i] {
            o[i] = p[i]
            winner[i] = Int32(k)
        }
    }
    return Tensor.record(maximum ? "maximum" : "minimum", out, inputs: tensors) { g, needs in
        tensors.indices.map { k in
            guard needs[k] else { return nil }
            let gk = Tensor.zeros(first.shape)
            for i in 0..<first.count where winner[i] == Int32(k) { gk.storage.pointer[i] = g.storage.pointer[i] }
            return gk
        }
    }
}
