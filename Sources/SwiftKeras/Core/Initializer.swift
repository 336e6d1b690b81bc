import COpenBLAS
import Glibc

/// Weight initializers with Keras's formulas and defaults (`"glorot_uniform"` etc.).
public enum Initializer: Sendable, Hashable, ExpressibleByStringLiteral {
    case zeros, ones
    case constant(Float)
    case randomUniform(minval: Float = -0.05, maxval: Float = 0.05)
    case randomNormal(mean: Float = 0, stddev: Float = 0.05)
    case truncatedNormal(mean: Float = 0, stddev: Float = 0.05)
    case glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal
    case orthogonal(gain: Float = 1)
    /// A name that is not a Keras initializer; reported when the layer builds.
    case unknown(String)

    public init(stringLiteral value: String) {
        switch value {
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "random_uniform", "uniform": self = .randomUniform()
        case "random_normal", "normal": self = .randomNormal()
        case "truncated_normal": self = .truncatedNormal()
        case "glorot_uniform": self = .glorotUniform
        case "glorot_normal": self = .glorotNormal
        case "he_uniform": self = .heUniform
        case "he_normal": self = .heNormal
        case "lecun_uniform": self = .lecunUniform
        case "lecun_normal": self = .lecunNormal
        case "orthogonal": self = .orthogonal()
        default: self = .unknown(value)
        }
    }

    /// Keras's fans: a kernel (..., in, out) has receptive field = product of the leading axes.
    static func fans(_ shape: [Int]) -> (fanIn: Float, fanOut: Float) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Float(shape[0]), Float(shape[0]))
        case 2: return (Float(shape[0]), Float(shape[1]))
        default:
            let receptive = Float(shape.dropLast(2).reduce(1, *))
            return (Float(shape[shape.count - 2]) * receptive, Float(shape[shape.count - 1]) * receptive)
        }
    }

    /// A tensor of `shape` drawn with `rng`.
    public func make(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
        let (fanIn, fanOut) = Initializer.fans(shape)
        // Keras's VarianceScaling: truncated normals are widened by this constant so the
        // truncated distribution keeps the intended variance.
        let truncationCorrection: Float = 0.879_625_661_034_239_78
        func uniform(scale: Float, fan: Float) -> Tensor {
            let limit = Glibc.sqrtf(3 * scale / Swift.max(1, fan))
            return .randomUniform(shape, low: -limit, high: limit, using: &rng)
        }
        func truncated(scale: Float, fan: Float) -> Tensor {
            .truncatedNormal(shape, stddev: Glibc.sqrtf(scale / Swift.max(1, fan)) / truncationCorrection, using: &rng)
        }
        switch self {
        case .zeros: return .zeros(shape)
        case .ones: return .ones(shape)
        case .constant(let value): return Tensor(repeating: value, shape: shape)
        case let .randomUniform(low, high): return .randomUniform(shape, low: low, high: high, using: &rng)
        case let .randomNormal(mean, stddev): return .randomNormal(shape, mean: mean, stddev: stddev, using: &rng)
        case let .truncatedNormal(mean, stddev): return .truncatedNormal(shape, mean: mean, stddev: stddev, using: &rng)
        case .glorotUniform: return uniform(scale: 1, fan: (fanIn + fanOut) / 2)
        case .glorotNormal: return truncated(scale: 1, fan: (fanIn + fanOut) / 2)
        case .heUniform: return uniform(scale: 2, fan: fanIn)
        case .heNormal: return truncated(scale: 2, fan: fanIn)
        case .lecunUniform: return uniform(scale: 1, fan: fanIn)
        case .lecunNormal: return truncated(scale: 1, fan: fanIn)
        case .orthogonal(let gain): return try Initializer.orthogonal(shape, gain: gain, using: &rng)
        case .unknown(let name):
            throw KerasError.invalidArgument("Could not interpret initializer identifier: '\(name)'")
        }
    }

    /// Keras's Orthogonal: QR of a normal matrix (LAPACKE sgeqrf + sorgqr), signs fixed by
    /// diag(R), transposed when the flattened shape has more columns than rows.
    static func orthogonal(_ shape: [Int], gain: Float, using rng: inout RandomGenerator) throws -> Tensor {
        guard shape.count >= 2 else {
            throw KerasError.invalidArgument("The Orthogonal initializer needs a shape of rank >= 2, received \(shapeString(shape))")
        }
        let cols = shape[shape.count - 1]
        let rows = shape.reduce(1, *) / Swift.max(cols, 1)
        // Factor the tall orientation (m >= n), column-major for LAPACK.
        let m = Swift.max(rows, cols), n = Swift.min(rows, cols)
        var a = (0..<(m * n)).map { _ in rng.nextNormal() }
        prepareOpenBLAS()
        var tau = [Float](repeating: 0, count: n)
        var status = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, Int32(m), Int32(n), &a, Int32(m), &tau)
        let diagonalSigns = (0..<n).map { a[$0 * m + $0] < 0 ? Float(-1) : 1 }
        if status == 0 { status = LAPACKE_sorgqr(LAPACK_COL_MAJOR, Int32(m), Int32(n), Int32(n), &a, Int32(m), &tau) }
        guard status == 0 else { throw KerasError.invalidArgument("LAPACK failed to orthogonalize a \(m)x\(n) matrix (info \(status))") }
        // q is m x n column-major: q[i, j] = a[j * m + i]; scale columns by sign(diag(R)).
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer
        for i in 0..<rows {
            for j in 0..<cols {
                // Tall case: result[i, j] = q[i, j]; wide case: result = qᵀ, so [i, j] = q[j, i].
                let value = rows >= cols ? a[j * m + i] * diagonalSigns[j] : a[i * m + j] * diagonalSigns[i]
                p[i * cols + j] = gain * value
            }
        }
        return out
    }
}
