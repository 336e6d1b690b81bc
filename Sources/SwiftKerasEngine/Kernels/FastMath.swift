// Branch-free exp, sigmoid and tanh that the compiler can vectorize (libm calls cannot be).
// Recurrent cells evaluate several of these per unit per step; with libm they dominated
// an LSTM step.

/// e^x with the Cephes single-precision polynomial after range reduction (about 2 ulp),
/// clamped to the finite Float range.
@inline(__always)
public func fastExp(_ value: Float) -> Float {
    let x = Swift.min(Swift.max(value, -87.33), 88.72)
    // n = round(x / ln 2) via the 1.5·2^23 trick, which leaves n in the low mantissa bits.
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let poly = p * r * r + r + 1
    let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    return poly * Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) &<< 23))
}

@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// tanh through e^(-2|x|), which keeps the result accurate for large |x|.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let e = fastExp(-2 * Swift.abs(x))
    let t = (1 - e) / (1 + e)
    return x < 0 ? -t : t
}
