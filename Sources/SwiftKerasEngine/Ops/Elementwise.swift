import Glibc

// Elementwise arithmetic with broadcasting, and the unary math functions.
// Each op computes its output with a raw-pointer loop and records its backward pass.

extension Tensor {
    static func binary(
        _ opName: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float,
        backward: @escaping (_ grad: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) throws -> Tensor {
        let outShape = try broadcastShape(a.shape, b.shape, op: opName)
        let out = Tensor(uninitializedShape: outShape)
        broadcastBinary(a, b, outShape: outShape, into: out.storage.pointer, f)
        let ad = a.detached, bd = b.detached
        return record(opName, out, inputs: [a, b]) { grad, needs in backward(grad, ad, bd, needs) }
    }

    /// Elementwise function of one tensor, no tape entry.
    @inline(__always)
    public func mapDetached(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, o = out.storage.pointer
        for i in 0..<count { o[i] = f(p[i]) }
        return out
    }

    /// Elementwise function of two same-shaped tensors, no tape entry.
    @inline(__always)
    public func zipDetached(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(count == other.count, "internal: zip of \(shape) and \(other.shape)")
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, q = other.storage.pointer, o = out.storage.pointer
        for i in 0..<count { o[i] = f(p[i], q[i]) }
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

    /// Elementwise unary op whose derivative is a function of the input and output.
    static func unary(
        _ opName: String, _ x: Tensor, _ f: (Float) -> Float,
        derivative: @escaping (_ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        let out = x.mapDetached(f)
        let xd = x.detached
        return record(opName, out, inputs: [x]) { g, _ in
            let gx = Tensor(uninitializedShape: xd.shape)
            let pg = g.storage.pointer, px = xd.storage.pointer, py = out.storage.pointer, po = gx.storage.pointer
            for i in 0..<xd.count { po[i] = pg[i] * derivative(px[i], py[i]) }
            return [gx]
        }
    }

    public func exp() -> Tensor { Tensor.unary("exp", self, Glibc.expf) { _, y in y } }
    public func log() -> Tensor { Tensor.unary("log", self, Glibc.logf) { x, _ in 1 / x } }
    public func sqrt() -> Tensor { Tensor.unary("sqrt", self, Glibc.sqrtf) { _, y in 0.5 / y } }
    public func squared() -> Tensor { Tensor.unary("square", self, { $0 * $0 }) { x, _ in 2 * x } }
    public func abs() -> Tensor { Tensor.unary("abs", self, Swift.abs) { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) } }
    public func tanh() -> Tensor { Tensor.unary("tanh", self, Glibc.tanhf) { _, y in 1 - y * y } }
    public func relu() -> Tensor { Tensor.unary("relu", self, { $0 > 0 ? $0 : 0 }) { x, _ in x > 0 ? 1 : 0 } }
    public func sigmoid() -> Tensor {
        var out = Tensor.unary("sigmoid", self, stableSigmoid) { _, y in y * (1 - y) }
        out.logitsSource = LogitsSource(kind: .sigmoid, logits: self)
        return out
    }

    /// Clips values to [low, high]; the gradient passes only where the value was inside.
    public func clipped(min low: Float, max high: Float) -> Tensor {
        Tensor.unary("clip", self, { Swift.min(Swift.max($0, low), high) }) { x, _ in x >= low && x <= high ? 1 : 0 }
    }
}

@inline(__always)
public func stableSigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
}

func broadcastCombine(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
    let outShape = try broadcastShape(a.shape, b.shape, op: "broadcast")
    let out = Tensor(uninitializedShape: outShape)
    broadcastBinary(a, b, outShape: outShape, into: out.storage.pointer, f)
    return out
}

func broadcastProduct(_ a: Tensor, _ b: Tensor) throws -> Tensor { try broadcastCombine(a, b, *) }
