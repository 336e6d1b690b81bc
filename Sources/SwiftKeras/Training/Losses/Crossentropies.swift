import Glibc

// Per-row crossentropies and focal crossentropies, as Keras computes them: from logits when
// they are given (fromLogits) or known (the output of a softmax or sigmoid), otherwise from
// probabilities clipped to [1e-7, 1 - 1e-7].

let lossEpsilon: Float = 1e-7

extension Loss {
    func categoricalCrossentropyRows(_ yTrue: Tensor, _ yPred: Tensor, rows: Int) throws -> Tensor {
        let y = try smoothed(yTrue.reshaped(yPred.shape), classes: yPred.shape.last ?? 1)
        if let logits = logitsInput(yPred, .softmax) {
            return try softmaxCrossentropy(logits: logits, targets: y)
        }
        // Probabilities: renormalize, clip to [eps, 1 - eps], as Keras does.
        let p = try normalizedProbabilities(yPred)
        return try -((y * p.log()).sum(axes: [-1]).reshaped([rows]))
    }

    func sparseCategoricalCrossentropyRows(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let labels = yTrue.detached
        if let logits = logitsInput(yPred, .softmax) {
            return try sparseSoftmaxCrossentropy(logits: logits, labels: labels)
        }
        // Keras clips the probabilities and treats their logs as logits.
        let p = yPred.clipped(min: lossEpsilon, max: 1 - lossEpsilon)
        return try sparseSoftmaxCrossentropy(logits: p.log(), labels: labels)
    }

    func binaryCrossentropyRows(_ yTrue: Tensor, _ yPred: Tensor, rows: Int) throws -> Tensor {
        try rowMeans(binaryCrossentropyElements(try smoothed(yTrue.reshaped(yPred.shape), classes: 2), yPred), rows: rows)
    }

    /// Elementwise binary crossentropy of (smoothed) targets `y`.
    private func binaryCrossentropyElements(_ y: Tensor, _ yPred: Tensor) throws -> Tensor {
        if let logits = logitsInput(yPred, .sigmoid) {
            return try sigmoidCrossentropy(logits: logits, targets: y)
        }
        let p = yPred.clipped(min: lossEpsilon, max: 1 - lossEpsilon)
        return try -(y * p.log() + (1 - y) * (1 - p).log())
    }

    /// Σ_j −alpha·(1 − p_j)^gamma · y_j·log p_j over the renormalized, clipped probabilities
    /// (from logits: of their softmax).
    func categoricalFocalCrossentropyRows(_ yTrue: Tensor, _ yPred: Tensor, rows: Int) throws -> Tensor {
        let y = try smoothed(yTrue.detached.reshaped(yPred.shape), classes: yPred.shape.last ?? 1)
        let p = try normalizedProbabilities(fromLogits ? yPred.softmax() : yPred)
        let focal = try (1 - p).power(gamma) * alpha
        return try -((focal * y * p.log()).sum(axes: [-1]).reshaped([rows]))
    }

    /// Mean over the last axis of (1 − p_t)^gamma · crossentropy, with p_t the probability
    /// of the true label and, with class balancing, alpha for positives, 1 − alpha for
    /// negatives. The crossentropy uses the logits when they are known, as Keras's does.
    func binaryFocalCrossentropyRows(_ yTrue: Tensor, _ yPred: Tensor, rows: Int) throws -> Tensor {
        let y = try smoothed(yTrue.detached.reshaped(yPred.shape), classes: 2)
        let p = fromLogits ? yPred.sigmoid() : yPred
        let crossentropy = try binaryCrossentropyElements(y, fromLogits ? yPred : p)
        let pTrue = try y * p + (1 - y) * (1 - p)
        var focal = try (1 - pTrue).power(gamma) * crossentropy
        if applyClassBalancing { focal = try (y * alpha + (1 - y) * (1 - alpha)) * focal }
        return try rowMeans(focal, rows: rows)
    }

    /// p / Σp along the last axis, clipped to [eps, 1 − eps].
    private func normalizedProbabilities(_ p: Tensor) throws -> Tensor {
        try (p / p.sum(axes: [-1], keepDims: true)).clipped(min: lossEpsilon, max: 1 - lossEpsilon)
    }
}

extension Tensor {
    /// x^exponent elementwise, with the gradient exponent·x^(exponent−1) (0 at x = 0 for
    /// exponents above 1, as TensorFlow's pow).
    func power(_ exponent: Float) -> Tensor {
        let out = mapDetached { powf($0, exponent) }
        let xd = detached
        return Tensor.record("pow", out, inputs: [self]) { g, _ in
            [try g * xd.mapDetached { x in exponent == 0 ? 0 : exponent * powf(x, exponent - 1) }]
        }
    }
}
