import Glibc

// The losses of a whole row at once: categorical hinge and cosine similarity, each a fused
// kernel with its gradient.

extension Loss {
    /// max(max_j (1 − y_j)·p_j − Σ y·p + 1, 0) per row. As TensorFlow's max, the gradient
    /// of the largest negative is shared equally among ties.
    func categoricalHingeRows(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let width = Swift.max(yPred.shape.last ?? 1, 1)
        let rows = yPred.count / width
        let out = Tensor(uninitializedShape: [rows])
        let labels = yTrue.detached, predictions = yPred.detached
        let py = labels.storage.pointer, pp = predictions.storage.pointer, po = out.storage.pointer
        /// Per row: the loss before the outer max, and the largest negative.
        func margin(_ r: Int) -> (value: Float, negative: Float) {
            var positive: Float = 0, negative = -Float.infinity
            for j in 0..<width {
                let i = r * width + j
                positive += py[i] * pp[i]
                negative = Swift.max(negative, (1 - py[i]) * pp[i])
            }
            return (negative - positive + 1, negative)
        }
        parallelFor(rows: rows, width: width) { chunk in
            for r in chunk { po[r] = Swift.max(margin(r).value, 0) }
        }
        return Tensor.record("categorical_hinge", out, inputs: [yPred]) { g, _ in
            _ = labels  // keeps the labels the pointers read alive
            let gx = Tensor.zeros(predictions.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            parallelFor(rows: rows, width: width) { chunk in
                for r in chunk {
                    let (value, negative) = margin(r)
                    guard value >= 0 else { continue }
                    var ties: Float = 0
                    for j in 0..<width where (1 - py[r * width + j]) * pp[r * width + j] == negative { ties += 1 }
                    for j in 0..<width {
                        let i = r * width + j
                        let isMax: Float = (1 - py[i]) * pp[i] == negative ? 1 : 0
                        pgx[i] = pg[r] * (-py[i] + (1 - py[i]) * isMax / ties)
                    }
                }
            }
            return [gx]
        }
    }

    /// −Σ ŷ·p̂ along `axis`, each side scaled by min(1/‖·‖, 1/eps) as Keras's normalize.
    func cosineSimilarityRows(_ yTrue: Tensor, _ yPred: Tensor, axis: Int) throws -> Tensor {
        guard yPred.rank > 0, axis >= -yPred.rank, axis < yPred.rank else {
            throw KerasError.invalidArgument(
                "CosineSimilarity: axis \(axis) is out of range for predictions of shape \(shapeString(yPred.shape))")
        }
        let a = axis < 0 ? axis + yPred.rank : axis
        if a != yPred.rank - 1 {
            // The axis goes last; the rows are then the other axes in order.
            var order = Array(0..<yPred.rank)
            order.remove(at: a)
            order.append(a)
            return try cosineSimilarityRows(yTrue.transposed(order), yPred.transposed(order), axis: -1)
        }
        let width = Swift.max(yPred.shape.last ?? 1, 1)
        let rows = yPred.count / width
        let cap = 1 / lossEpsilon
        let out = Tensor(uninitializedShape: [rows])
        let labels = yTrue.detached, predictions = yPred.detached
        let py = labels.storage.pointer, pp = predictions.storage.pointer, po = out.storage.pointer
        /// Per row: Σ t̂·p, the inverse norm of p and whether it was capped.
        func parts(_ r: Int) -> (dot: Float, inverse: Float, capped: Bool) {
            var yy: Float = 0, pp2: Float = 0, yp: Float = 0
            for j in 0..<width {
                let i = r * width + j
                yy += py[i] * py[i]; pp2 += pp[i] * pp[i]; yp += py[i] * pp[i]
            }
            let inverse = 1 / pp2.squareRoot()
            return (yp * Swift.min(1 / yy.squareRoot(), cap), Swift.min(inverse, cap), !(inverse <= cap))
        }
        parallelFor(rows: rows, width: width) { chunk in
            for r in chunk {
                let (dot, inverse, _) = parts(r)
                po[r] = -dot * inverse
            }
        }
        return Tensor.record("cosine_similarity", out, inputs: [yPred]) { g, _ in
            _ = labels  // keeps the labels the pointers read alive
            let gx = Tensor(uninitializedShape: predictions.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            parallelFor(rows: rows, width: width) { chunk in
                for r in chunk {
                    var yy: Float = 0
                    for j in 0..<width { yy += py[r * width + j] * py[r * width + j] }
                    let yScale = Swift.min(1 / yy.squareRoot(), cap)
                    let (dot, inverse, capped) = parts(r)
                    for j in 0..<width {
                        let i = r * width + j
                        let direct = py[i] * yScale * inverse
                        // d inverse / d p_j = −p_j·inverse³ while the norm is not capped.
                        let throughNorm = capped ? 0 : dot * inverse * inverse * inverse * pp[i]
                        pgx[i] = -pg[r] * (direct - throughNorm)
                    }
                }
            }
            return [gx]
        }
    }
}
