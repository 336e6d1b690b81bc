import Glibc

// Softmax and log-softmax over the last axis.

extension Tensor {
    /// Softmax over the last axis. The result remembers its logits, so a following
    /// crossentropy loss can work from them exactly, as Keras does.
    public func softmax() -> Tensor {
        let out = softmaxKernel(log: false)
        let width = shape.last ?? 1
        var result = Tensor.record("softmax", out, inputs: [self]) { g, _ in
            let gx = Tensor(uninitializedShape: out.shape)
            let rows = width == 0 ? 0 : out.count / width
            let py = out.storage.pointer, pg = g.storage.pointer, po = gx.storage.pointer
            parallelFor(rows: rows, width: width) { chunk in
                for r in chunk {
                    let y = py + r * width, gr = pg + r * width, o = po + r * width
                    var dot: Float = 0
                    for j in 0..<width { dot += gr[j] * y[j] }
                    for j in 0..<width { o[j] = y[j] * (gr[j] - dot) }
                }
            }
            return [gx]
        }
        result.logitsSource = LogitsSource(kind: .softmax, logits: self)
        return result
    }

    /// log(softmax(x)) over the last axis, computed stably.
    public func logSoftmax() -> Tensor {
        let out = softmaxKernel(log: true)
        let width = shape.last ?? 1
        return Tensor.record("log_softmax", out, inputs: [self]) { g, _ in
            let gx = Tensor(uninitializedShape: out.shape)
            let rows = width == 0 ? 0 : out.count / width
            let py = out.storage.pointer, pg = g.storage.pointer, po = gx.storage.pointer
            parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
                for r in chunk {
                    let y = py + r * width, gr = pg + r * width, o = po + r * width
                    var total: Float = 0
                    for j in 0..<width { total += gr[j] }
                    for j in 0..<width { o[j] = gr[j] - expf(y[j]) * total }
                }
            }
            return [gx]
        }
    }

    public func softmaxKernel(log: Bool) -> Tensor {
        let width = shape.last ?? 1
        let rows = width == 0 ? 0 : count / width
        let out = Tensor(uninitializedShape: shape)
        let px = storage.pointer, po = out.storage.pointer
        parallelFor(rows: rows, width: width, costPerElement: 4) { chunk in
            for r in chunk {
                let x = px + r * width, o = po + r * width
                var m = -Float.infinity
                for j in 0..<width { m = Swift.max(m, x[j]) }
                var total: Float = 0
                for j in 0..<width { let e = expf(x[j] - m); o[j] = e; total += e }
                if log {
                    let logTotal = logf(total)
                    for j in 0..<width { o[j] = x[j] - m - logTotal }
                } else {
                    let inv = 1 / total
                    for j in 0..<width { o[j] *= inv }
                }
            }
        }
        return out
    }
}
