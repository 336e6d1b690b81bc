import Glibc

// The losses that are a function of each (label, prediction) pair, averaged (KL divergence:
// summed) over the last axis: one fused kernel with its derivative per loss. Where Keras's
// formula has a kink (max, clip, abs), the derivative is TensorFlow's at the kink.

extension Loss {
    /// One loss per row of `yPred` from the elementwise loss of `kind`; `yTrue` has
    /// `yPred`'s shape and is not differentiated.
    func elementwiseLossRows(_ kind: Kind, _ labels: Tensor, _ yPred: Tensor, rows: Int) throws -> Tensor {
        let pair = try elementwiseLoss(kind)
        let yTrue = hingeLabels(kind, labels)
        let count = yPred.count
        let out = Tensor(uninitializedShape: yPred.shape)
        let py = yTrue.storage.pointer, pp = yPred.storage.pointer, po = out.storage.pointer
        parallelFor(elements: count) { range in
            for i in range { po[i] = pair.value(py[i], pp[i]) }
        }
        let predictions = yPred.detached
        let elements = Tensor.record(kind.rawValue, out, inputs: [yPred]) { g, _ in
            let gx = Tensor(uninitializedShape: predictions.shape)
            let pg = g.storage.pointer, py = yTrue.storage.pointer, pp = predictions.storage.pointer, pgx = gx.storage.pointer
            parallelFor(elements: count) { range in
                for i in range { pgx[i] = pg[i] * pair.derivative(py[i], pp[i]) }
            }
            return [gx]
        }
        if kind == .klDivergence { return try elements.reshaped([rows, -1]).sum(axes: [1]) }
        return try rowMeans(elements, rows: rows)
    }

    /// Hinge losses take labels of -1 and 1; labels that are all 0 or 1 are mapped to them,
    /// as Keras does (over the whole batch).
    private func hingeLabels(_ kind: Kind, _ yTrue: Tensor) -> Tensor {
        guard kind == .hinge || kind == .squaredHinge else { return yTrue }
        let p = yTrue.storage.pointer
        for i in 0..<yTrue.count where p[i] != 0 && p[i] != 1 { return yTrue }
        return yTrue.mapDetached { 2 * $0 - 1 }
    }

    /// The elementwise loss f(y, p) of `kind` and its derivative ∂f/∂p.
    private func elementwiseLoss(_ kind: Kind) throws
        -> (value: @Sendable (Float, Float) -> Float, derivative: @Sendable (Float, Float) -> Float)
    {
        let eps = lossEpsilon
        switch kind {
        case .meanSquaredError:
            return ({ y, p in (p - y) * (p - y) }, { y, p in 2 * (p - y) })
        case .meanAbsoluteError:
            return ({ y, p in Swift.abs(p - y) }, { y, p in sign(p - y) })
        case .meanAbsolutePercentageError:
            // 100·|(y − p) / max(|y|, eps)|
            return ({ y, p in 100 * Swift.abs((y - p) / Swift.max(Swift.abs(y), eps)) },
                    { y, p in -100 * sign((y - p) / Swift.max(Swift.abs(y), eps)) / Swift.max(Swift.abs(y), eps) })
        case .meanSquaredLogarithmicError:
            // (log(max(p, eps) + 1) − log(max(y, eps) + 1))²; the max passes the gradient on a tie.
            return ({ y, p in
                let d = logf(Swift.max(p, eps) + 1) - logf(Swift.max(y, eps) + 1)
                return d * d
            }, { y, p in
                guard p >= eps else { return 0 }
                return 2 * (logf(p + 1) - logf(Swift.max(y, eps) + 1)) / (p + 1)
            })
        case .huber:
            let delta = self.delta
            return ({ y, p in
                let e = p - y
                return Swift.abs(e) <= delta ? 0.5 * e * e : delta * Swift.abs(e) - 0.5 * delta * delta
            }, { y, p in
                let e = p - y
                return Swift.abs(e) <= delta ? e : delta * sign(e)
            })
        case .logCosh:
            // x + softplus(−2x) − log 2, stable for large |x|; its derivative is tanh(x).
            return ({ y, p in
                let x = p - y
                return x + softplus(-2 * x) - Float(M_LN2)
            }, { y, p in tanhf(p - y) })
        case .klDivergence:
            // clip(y)·log(clip(y) / clip(p)), both clipped to [eps, 1].
            return ({ y, p in
                let t = Swift.min(Swift.max(y, eps), 1), q = Swift.min(Swift.max(p, eps), 1)
                return t * logf(t / q)
            }, { y, p in
                guard p >= eps, p <= 1 else { return 0 }
                return -Swift.min(Swift.max(y, eps), 1) / p
            })
        case .poisson:
            return ({ y, p in p - y * logf(p + eps) }, { y, p in 1 - y / (p + eps) })
        case .hinge:
            // max(1 − y·p, 0); TensorFlow's maximum passes the gradient on a tie.
            return ({ y, p in Swift.max(1 - y * p, 0) }, { y, p in 1 - y * p >= 0 ? -y : 0 })
        case .squaredHinge:
            return ({ y, p in
                let m = Swift.max(1 - y * p, 0)
                return m * m
            }, { y, p in -2 * y * Swift.max(1 - y * p, 0) })
        default:
            throw KerasError.invalidArgument("\(kind.rawValue) is not an elementwise loss")
        }
    }
}

/// −1, 0 or 1, as TensorFlow's sign (the derivative of abs).
@inline(__always)
private func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }

/// log(1 + eˣ) without overflow.
@inline(__always)
private func softplus(_ x: Float) -> Float { Swift.max(x, 0) + log1pf(expf(-Swift.abs(x))) }
