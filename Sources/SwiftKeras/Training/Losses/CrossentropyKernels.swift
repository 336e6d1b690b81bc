import Glibc

// The fused crossentropy kernels behind the crossentropy losses (and their gradients).

/// Per row: -Σ y · log_softmax(z), with the fused gradient softmax(z)·Σy - y.
func softmaxCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    let logProbs = logits.softmaxKernel(log: true)
    let out = Tensor(uninitializedShape: [rows])
    let pt = targets.storage.pointer, plp = logProbs.storage.pointer, po = out.storage.pointer
    parallelFor(rows: rows, width: width) { chunk in
        for r in chunk {
            var total: Float = 0
            for j in 0..<width { total -= pt[r * width + j] * plp[r * width + j] }
            po[r] = total
        }
    }
    let targetsDetached = targets.detached
    return Tensor.record("softmax_crossentropy", out, inputs: [logits, targets]) { g, needs in
        var grads: [Tensor?] = [nil, nil]
        let pl = logProbs.storage.pointer, py = targetsDetached.storage.pointer, pgr = g.storage.pointer
        if needs[0] {
            let gx = Tensor(uninitializedShape: logits.shape)
            let pg = gx.storage.pointer
            parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
                for r in chunk {
                    var ySum: Float = 0
                    for j in 0..<width { ySum += py[r * width + j] }
                    for j in 0..<width {
                        let i = r * width + j
                        pg[i] = pgr[r] * (expf(pl[i]) * ySum - py[i])
                    }
                }
            }
            grads[0] = gx
        }
        if needs[1] {
            let gy = Tensor(uninitializedShape: logits.shape)
            let pgy = gy.storage.pointer
            parallelFor(elements: logits.count) { range in
                for i in range { pgy[i] = -pgr[i / width] * pl[i] }
            }
            grads[1] = gy
        }
        return grads
    }
}

/// Throws unless every label is an integer in [0, classes): the labels index into the rows
/// of the predictions, in the loss and in its gradient.
func checkSparseLabels(_ labels: Tensor, classes: Int) throws {
    let p = labels.storage.pointer
    for i in 0..<labels.count {
        let label = p[i]
        guard label >= 0, label < Float(classes), label == label.rounded() else {
            throw KerasError.invalidData(
                "sparse_categorical_crossentropy: received a label value of \(label) at index \(i), which is outside the valid range of [0, \(classes)) or not an integer")
        }
    }
}

/// Per row: -log_softmax(z)[label], with the fused gradient softmax(z) - onehot(label).
func sparseSoftmaxCrossentropy(logits: Tensor, labels: Tensor) throws -> Tensor {
    let width = logits.shape.last ?? 1
    let rows = logits.count / Swift.max(width, 1)
    guard labels.count == rows else {
        throw KerasError.invalidData(
            "sparse_categorical_crossentropy: \(labels.count) labels (shape \(shapeString(labels.shape))) for \(rows) predictions (shape \(shapeString(logits.shape)))")
    }
    try checkSparseLabels(labels, classes: width)
    let logProbs = logits.softmaxKernel(log: true)
    let out = Tensor(uninitializedShape: [rows])
    let plp = logProbs.storage.pointer, pl = labels.storage.pointer, po = out.storage.pointer
    for r in 0..<rows { po[r] = -plp[r * width + Int(pl[r])] }
    return Tensor.record("sparse_softmax_crossentropy", out, inputs: [logits]) { g, _ in
        let gx = Tensor(uninitializedShape: logits.shape)
        let pg = gx.storage.pointer, pgr = g.storage.pointer, plp = logProbs.storage.pointer, pl = labels.storage.pointer
        parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
            for r in chunk {
                for j in 0..<width { pg[r * width + j] = pgr[r] * expf(plp[r * width + j]) }
                pg[r * width + Int(pl[r])] -= pgr[r]
            }
        }
        return [gx]
    }
}

/// Elementwise max(z, 0) - z·y + log(1 + exp(-|z|)), the stable sigmoid crossentropy.
func sigmoidCrossentropy(logits: Tensor, targets: Tensor) throws -> Tensor {
    let out = logits.zipDetached(targets) { z, y in Swift.max(z, 0) - z * y + log1pf(expf(-Swift.abs(z))) }
    let zd = logits.detached, yd = targets.detached
    return Tensor.record("sigmoid_crossentropy", out, inputs: [logits, targets]) { g, needs in
        [needs[0] ? try (g * zd.zipDetached(yd) { stableSigmoid($0) - $1 }) : nil,
         needs[1] ? try (g * zd.mapDetached { -$0 }) : nil]
    }
}
