import Glibc

// The activation functions Keras names beyond relu / sigmoid / tanh / softmax, each an
// elementwise op whose derivative is written beside its value (see `Tensor.unary`), with
// the formulas of Keras 3's TensorFlow backend.

extension Tensor {
    /// Keras's general relu: x above `threshold` (else 0), clipped at `maxValue`, minus
    /// negativeSlope · max(threshold − x, 0) below the threshold.
    public func relu(negativeSlope: Float, maxValue: Float?, threshold: Float) -> Tensor {
        Tensor.unary(GeneralReLU(negativeSlope: negativeSlope, maxValue: maxValue, threshold: threshold), self)
    }
    /// x for x > 0, else negativeSlope · x (Keras's `leaky_relu`, default slope 0.2).
    public func leakyRelu(negativeSlope: Float = 0.2) -> Tensor { Tensor.unary(LeakyReLUFunction(slope: negativeSlope), self) }
    /// min(max(x, 0), 6).
    public func relu6() -> Tensor { Tensor.unary(GeneralReLU(negativeSlope: 0, maxValue: 6, threshold: 0), self) }
    /// x for x > 0, else alpha · (exp(x) − 1).
    public func elu(alpha: Float = 1) -> Tensor { Tensor.unary(ELUFunction(alpha: alpha), self) }
    /// Scaled ELU with the constants of Klambauer et al. (Keras's `selu`).
    public func selu() -> Tensor { Tensor.unary(SELUFunction(), self) }
    /// max(x, 0) + alpha · expm1(min(x, 0) / alpha).
    public func celu(alpha: Float = 1) -> Tensor { Tensor.unary(CELUFunction(alpha: alpha), self) }
    /// log(1 + exp(x)), computed stably.
    public func softplus() -> Tensor { Tensor.unary(Softplus(), self) }
    /// x / (1 + |x|).
    public func softsign() -> Tensor { Tensor.unary(Softsign(), self) }
    /// x · sigmoid(x) (Keras's `silu`, also called `swish`).
    public func silu() -> Tensor { Tensor.unary(SiLU(), self) }
    /// x · Φ(x) with the Gaussian CDF Φ (Keras's default), or its tanh approximation.
    public func gelu(approximate: Bool = false) -> Tensor {
        approximate ? Tensor.unary(GELUTanh(), self) : Tensor.unary(GELUErf(), self)
    }
    /// relu6(x + 3) / 6.
    public func hardSigmoid() -> Tensor { Tensor.unary(HardSigmoid(), self) }
    /// x · hardSigmoid(x) (Keras's `hard_silu`, also `hard_swish`).
    public func hardSilu() -> Tensor { Tensor.unary(HardSiLU(), self) }
    /// log(sigmoid(x)), computed stably.
    public func logSigmoid() -> Tensor { Tensor.unary(LogSigmoid(), self) }
    /// x · tanh(softplus(x)).
    public func mish() -> Tensor { Tensor.unary(Mish(), self) }
    /// x − tanh(x).
    public func tanhShrink() -> Tensor { Tensor.unary(TanhShrink(), self) }
    /// Values clipped to [-1, 1].
    public func hardTanh() -> Tensor { clipped(min: -1, max: 1) }
    /// x − threshold above it, x + threshold below −threshold, else 0.
    public func softShrink(threshold: Float = 0.5) -> Tensor { Tensor.unary(SoftShrink(threshold: threshold), self) }
    /// x where |x| > threshold, else 0.
    public func hardShrink(threshold: Float = 0.5) -> Tensor { Tensor.unary(HardShrink(threshold: threshold), self) }
    /// 0 below −1, x above 1, (x + 1)² / 4 between.
    public func sparsePlus() -> Tensor { Tensor.unary(SparsePlus(), self) }
    /// (x + sqrt(x² + b)) / 2.
    public func squareplus(b: Float = 4) -> Tensor { Tensor.unary(Squareplus(b: b), self) }
}

struct GeneralReLU: UnaryFunction {
    static let name = "relu"
    let negativeSlope: Float, maxValue: Float?, threshold: Float
    func value(_ x: Float) -> Float {
        var y = x > threshold ? x : 0
        if let maxValue { y = Swift.min(y, maxValue) }
        return negativeSlope == 0 ? y : y - negativeSlope * Swift.max(threshold - x, 0)
    }
    func derivative(x: Float, y: Float) -> Float {
        if x > threshold { return maxValue.map { x < $0 ? 1 : 0 } ?? 1 }
        return x < threshold ? negativeSlope : 0
    }
}

struct LeakyReLUFunction: UnaryFunction {
    static let name = "leaky_relu"
    let slope: Float
    func value(_ x: Float) -> Float { x > 0 ? x : slope * x }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : slope }
}

struct ELUFunction: UnaryFunction {
    static let name = "elu"
    let alpha: Float
    func value(_ x: Float) -> Float { x > 0 ? x : alpha * expm1f(x) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : y + alpha }
}

struct SELUFunction: UnaryFunction {
    static let name = "selu"
    static let alpha: Float = 1.673_263_2
    static let scale: Float = 1.050_701
    func value(_ x: Float) -> Float { Self.scale * (x > 0 ? x : Self.alpha * expm1f(x)) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? Self.scale : y + Self.scale * Self.alpha }
}

struct CELUFunction: UnaryFunction {
    static let name = "celu"
    let alpha: Float
    func value(_ x: Float) -> Float { Swift.max(x, 0) + alpha * expm1f(Swift.min(x, 0) / alpha) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : expf(x / alpha) }
}

struct Softplus: UnaryFunction {
    static let name = "softplus"
    func value(_ x: Float) -> Float { log1pf(expf(-Swift.abs(x))) + Swift.max(x, 0) }
    func derivative(x: Float, y: Float) -> Float { stableSigmoid(x) }
}

struct Softsign: UnaryFunction {
    static let name = "softsign"
    func value(_ x: Float) -> Float { x / (1 + Swift.abs(x)) }
    func derivative(x: Float, y: Float) -> Float { let d = 1 + Swift.abs(x); return 1 / (d * d) }
}

struct SiLU: UnaryFunction {
    static let name = "silu"
    func value(_ x: Float) -> Float { x * stableSigmoid(x) }
    func derivative(x: Float, y: Float) -> Float { let s = stableSigmoid(x); return s * (1 + x * (1 - s)) }
}

struct GELUErf: UnaryFunction {
    static let name = "gelu"
    func value(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.707_106_77)) }
    func derivative(x: Float, y: Float) -> Float {
        0.5 * (1 + erff(x * 0.707_106_77)) + x * expf(-0.5 * x * x) * 0.398_942_28
    }
}

struct GELUTanh: UnaryFunction {
    static let name = "gelu"
    static let c: Float = 0.797_884_56  // sqrt(2 / pi)
    func value(_ x: Float) -> Float { 0.5 * x * (1 + tanhf(Self.c * (x + 0.044_715 * x * x * x))) }
    func derivative(x: Float, y: Float) -> Float {
        let t = tanhf(Self.c * (x + 0.044_715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Self.c * (1 + 3 * 0.044_715 * x * x)
    }
}

struct HardSigmoid: UnaryFunction {
    static let name = "hard_sigmoid"
    func value(_ x: Float) -> Float { Swift.min(Swift.max(x + 3, 0), 6) / 6 }
    func derivative(x: Float, y: Float) -> Float { x > -3 && x < 3 ? 1.0 / 6 : 0 }
}

struct HardSiLU: UnaryFunction {
    static let name = "hard_silu"
    func value(_ x: Float) -> Float { x * (Swift.min(Swift.max(x + 3, 0), 6) / 6) }
    func derivative(x: Float, y: Float) -> Float { x <= -3 ? 0 : (x >= 3 ? 1 : (2 * x + 3) / 6) }
}

struct LogSigmoid: UnaryFunction {
    static let name = "log_sigmoid"
    func value(_ x: Float) -> Float { -(log1pf(expf(-Swift.abs(x))) + Swift.max(-x, 0)) }
    func derivative(x: Float, y: Float) -> Float { stableSigmoid(-x) }
}

struct Mish: UnaryFunction {
    static let name = "mish"
    func value(_ x: Float) -> Float { x * tanhf(log1pf(expf(-Swift.abs(x))) + Swift.max(x, 0)) }
    func derivative(x: Float, y: Float) -> Float {
        let t = tanhf(log1pf(expf(-Swift.abs(x))) + Swift.max(x, 0))
        return t + x * (1 - t * t) * stableSigmoid(x)
    }
}

struct TanhShrink: UnaryFunction {
    static let name = "tanh_shrink"
    func value(_ x: Float) -> Float { x - tanhf(x) }
    func derivative(x: Float, y: Float) -> Float { let t = tanhf(x); return t * t }
}

struct SoftShrink: UnaryFunction {
    static let name = "soft_shrink"
    let threshold: Float
    func value(_ x: Float) -> Float { x > threshold ? x - threshold : (x < -threshold ? x + threshold : 0) }
    func derivative(x: Float, y: Float) -> Float { x > threshold || x < -threshold ? 1 : 0 }
}

struct HardShrink: UnaryFunction {
    static let name = "hard_shrink"
    let threshold: Float
    func value(_ x: Float) -> Float { Swift.abs(x) > threshold ? x : 0 }
    func derivative(x: Float, y: Float) -> Float { Swift.abs(x) > threshold ? 1 : 0 }
}

struct SparsePlus: UnaryFunction {
    static let name = "sparse_plus"
    func value(_ x: Float) -> Float { x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4) }
    func derivative(x: Float, y: Float) -> Float { x <= -1 ? 0 : (x >= 1 ? 1 : (x + 1) / 2) }
}

struct Squareplus: UnaryFunction {
    static let name = "squareplus"
    let b: Float
    func value(_ x: Float) -> Float { (x + sqrtf(x * x + b)) / 2 }
    func derivative(x: Float, y: Float) -> Float { (1 + x / sqrtf(x * x + b)) / 2 }
}
