import CKernels
import Glibc

// Whole recurrent layers (SimpleRNN, LSTM, GRU) as one op: the input projection of all
// timesteps is one GEMM, each step is one small GEMM plus a fused gate loop, and the
// backward pass through time is written by hand (checked by finite differences).

/// Activations used inside recurrent cells; derivatives are taken from the output.
public enum ScalarActivation: String, Sendable, CaseIterable {
    case tanh, sigmoid, relu, linear
    case hardSigmoid = "hard_sigmoid"

    @inline(__always)
    public func value(_ x: Float) -> Float {
        switch self {
        case .tanh: return fastTanh(x)
        case .sigmoid: return fastSigmoid(x)
        case .relu: return x > 0 ? x : 0
        case .linear: return x
        case .hardSigmoid: return Swift.min(Swift.max(x + 3, 0), 6) / 6
        }
    }

    /// d value / dx expressed through y = value(x).
    @inline(__always)
    public func derivative(y: Float) -> Float {
        switch self {
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .relu: return y > 0 ? 1 : 0
        case .linear: return 1
        case .hardSigmoid: return y > 0 && y < 1 ? 1.0 / 6 : 0
        }
    }

    /// Applies the function to `count` values in place, one specialized loop per case.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .tanh where usesHandKernels: sk_tanh(p, Int32(count))
        case .sigmoid where usesHandKernels: sk_sigmoid(p, Int32(count))
        case .tanh: for i in 0..<count { p[i] = fastTanh(p[i]) }
        case .sigmoid: for i in 0..<count { p[i] = fastSigmoid(p[i]) }
        case .relu: for i in 0..<count { p[i] = p[i] > 0 ? p[i] : 0 }
        case .linear: break
        case .hardSigmoid: for i in 0..<count { p[i] = Swift.min(Swift.max(p[i] + 3, 0), 6) / 6 }
        }
    }
}

/// The cell a recurrent op runs, with Keras's gate orders: LSTM (i, f, c, o), GRU (z, r, h).
public enum RecurrentCell: Sendable, Equatable {
    case simple(activation: ScalarActivation)
    case lstm(activation: ScalarActivation, recurrentActivation: ScalarActivation)
    /// `resetAfter`: reset gate applied after the recurrent matmul, bias (2, 3·units);
    /// otherwise before it (Cho et al. 2014), bias (3·units).
    case gru(activation: ScalarActivation, recurrentActivation: ScalarActivation, resetAfter: Bool)

    public var gateCount: Int {
        switch self {
        case .simple: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// h, or h and c for the LSTM.
    public var stateCount: Int { if case .lstm = self { return 2 } else { return 1 } }

    /// The bias shape Keras uses for `units`.
    public func biasShape(units: Int) -> [Int] {
        if case .gru(_, _, true) = self { return [2, 3 * units] }
        return [gateCount * units]
    }
}

/// What a recurrent op returns: every step's output (in processing order, as Keras
/// returns it), the last output, and the final states.
public struct RecurrentResult {
    public let sequence: Tensor
    public let lastOutput: Tensor
    public let states: [Tensor]
}

/// Runs a recurrent layer over `input` (batch, time, features).
///
/// - mask: (batch, time) of 0/1; a masked step keeps the previous state and output.
/// - recurrentDropoutMask: (batch, units), multiplied into the state fed to the recurrent
///   matmul (Keras's recurrent_dropout); the carried state itself is not dropped.
public func recurrent(
    _ input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, cell: RecurrentCell,
    initialStates: [Tensor]? = nil, mask: Tensor? = nil, goBackwards: Bool = false,
    recurrentDropoutMask: Tensor? = nil
) throws -> RecurrentResult {
    let op = "recurrent"
    guard input.rank == 3 else {
        throw TensorError.shapeMismatch(op: op, message: "expected input of shape (batch, time, features), got \(shapeString(input.shape))")
    }
    let (n, steps, d) = (input.shape[0], input.shape[1], input.shape[2])
    let units = recurrentKernel.shape.first ?? 0
    let gates = cell.gateCount, gu = gates * units
    guard steps > 0 else {
        throw TensorError.shapeMismatch(op: op, message: "the input has no timesteps: \(shapeString(input.shape))")
    }
    guard kernel.shape == [d, gu], recurrentKernel.shape == [units, gu] else {
        throw TensorError.shapeMismatch(
            op: op, message: "kernel \(shapeString(kernel.shape)) and recurrent kernel \(shapeString(recurrentKernel.shape)) do not fit input features \(d) and \(units) units")
    }
    if let bias, bias.shape != cell.biasShape(units: units) {
        throw TensorError.shapeMismatch(op: op, message: "bias \(shapeString(bias.shape)), expected \(shapeString(cell.biasShape(units: units)))")
    }
    if let initialStates {
        guard initialStates.count == cell.stateCount, initialStates.allSatisfy({ $0.shape == [n, units] }) else {
            throw TensorError.shapeMismatch(
                op: op, message: "expected \(cell.stateCount) initial state(s) of shape \(shapeString([n, units])), received \(initialStates.map { shapeString($0.shape) }.joined(separator: ", "))")
        }
    }
    if let mask, mask.shape != [n, steps] {
        throw TensorError.shapeMismatch(op: op, message: "mask \(shapeString(mask.shape)), expected \(shapeString([n, steps]))")
    }
    if let recurrentDropoutMask, recurrentDropoutMask.shape != [n, units] {
        throw TensorError.shapeMismatch(op: op, message: "recurrent dropout mask \(shapeString(recurrentDropoutMask.shape)), expected \(shapeString([n, units]))")
    }

    try checkMatrixSizes([n * steps, d, gu], op: op)
    let tape = RecurrentTape(cell: cell, batch: n, steps: steps, features: d, units: units,
                             goBackwards: goBackwards, mask: mask?.detached, dropMask: recurrentDropoutMask?.detached)
    let packed = tape.forward(input: input, kernel: kernel, recurrentKernel: recurrentKernel, bias: bias,
                              initialStates: initialStates)

    var inputs = [input, kernel, recurrentKernel]
    if let bias { inputs.append(bias) }
    let stateOffset = inputs.count
    if let initialStates { inputs += initialStates }
    let xd = input.detached, kd = kernel.detached, rkd = recurrentKernel.detached
    let hasBias = bias != nil, hasStates = initialStates != nil
    let recorded = Tensor.record("recurrent", packed, inputs: inputs) { grad, needs in
        let g = tape.backward(grad: grad, input: xd, kernel: kd, recurrentKernel: rkd)
        var grads: [Tensor?] = [needs[0] ? g.input : nil, needs[1] ? g.kernel : nil, needs[2] ? g.recurrentKernel : nil]
        if hasBias { grads.append(needs[3] ? g.bias : nil) }
        if hasStates { grads += g.initialStates.enumerated().map { needs[stateOffset + $0] ? $1 : nil } }
        return grads
    }
    let seqCount = n * steps * units
    let sequence = try recorded.flatSlice(0..<seqCount, shape: [n, steps, units])
    let states = try (0..<cell.stateCount).map {
        try recorded.flatSlice((seqCount + $0 * n * units)..<(seqCount + ($0 + 1) * n * units), shape: [n, units])
    }
    return RecurrentResult(sequence: sequence, lastOutput: states[0], states: states)
}

/// Chunks of a recurrent op's batch for the thread pool: whole 8-row strips of the GEMM
/// kernel, each running the whole sequence.
func recurrentRowChunking(cell: RecurrentCell, batch: Int, steps: Int, units: Int) -> Chunking {
    Chunking(items: batch, costPerItem: steps * units * cell.gateCount * units, multiple: 8)
}

/// Forward values saved for the backward pass, and both passes.
private final class RecurrentTape: @unchecked Sendable {
    let cell: RecurrentCell
    let n, steps, d, units, gates: Int
    let goBackwards: Bool
    let mask: Tensor?
    let dropMask: Tensor?
    /// hs[s] is the state before processing step s (hs[0] = initial state): (steps+1) x n x units.
    var hs: TensorStorage
    /// LSTM cell states, same layout as hs.
    var cs: TensorStorage?
    /// Activated gates per step: steps x n x gates·units.
    var acts: TensorStorage
    /// LSTM: activation(c); GRU reset_after: the recurrent part of the candidate. steps x n x units.
    var extra: TensorStorage?
    /// Chunks of the batch's rows, for both passes.
    let rowChunking: Chunking

    init(cell: RecurrentCell, batch: Int, steps: Int, features: Int, units: Int, goBackwards: Bool,
         mask: Tensor?, dropMask: Tensor?) {
        self.cell = cell
        n = batch; self.steps = steps; d = features; self.units = units; gates = cell.gateCount
        self.goBackwards = goBackwards
        self.mask = mask
        self.dropMask = dropMask
        rowChunking = recurrentRowChunking(cell: cell, batch: batch, steps: steps, units: units)
        hs = TensorStorage(uninitializedCount: (steps + 1) * batch * units)
        // Zeroed: masked rows never write their gates, and the backward GEMMs read them.
        acts = TensorStorage(repeating: 0, count: steps * batch * gates * units)
        switch cell {
        case .lstm:
            cs = TensorStorage(uninitializedCount: (steps + 1) * batch * units)
            extra = TensorStorage(uninitializedCount: steps * batch * units)
        case .gru(_, _, true): extra = TensorStorage(uninitializedCount: steps * batch * units)
        default: break
        }
    }

    @inline(__always) func time(_ s: Int) -> Int { goBackwards ? steps - 1 - s : s }
    @inline(__always) func isMasked(_ row: Int, _ t: Int) -> Bool { mask.map { $0.storage.pointer[row * steps + t] == 0 } ?? false }

    /// The state fed to the recurrent matmul at step s (a dropped-out copy when needed), for
    /// `rows`; the result is laid out for the whole batch.
    func recurrentInput(_ s: Int, rows: Range<Int>, into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let h = hs.pointer + s * n * units
        guard let dropMask else { return UnsafePointer(h) }
        let m = dropMask.storage.pointer
        for i in (rows.lowerBound * units)..<(rows.upperBound * units) { buffer[i] = h[i] * m[i] }
        return UnsafePointer(buffer)
    }

    func forward(input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, initialStates: [Tensor]?) -> Tensor {
        let u = units, gu = gates * units
        // The input projection of every timestep, computed per half of the batch below.
        let xw = TensorStorage(uninitializedCount: n * steps * gu)
        let recurrentBias: UnsafeMutablePointer<Float>? = {
            if case .gru(_, _, true) = cell, let bias { return bias.storage.pointer + gu }
            return nil
        }()

        if let initialStates {
            hs.pointer.update(from: initialStates[0].storage.pointer, count: n * u)
            if let cs { cs.pointer.update(from: initialStates[1].storage.pointer, count: n * u) }
        } else {
            hs.pointer.update(repeating: 0, count: n * u)
            cs?.pointer.update(repeating: 0, count: n * u)
        }
        let rec = TensorStorage(uninitializedCount: n * gu)
        let dropped = TensorStorage(uninitializedCount: n * u)
        let resetHidden = TensorStorage(repeating: 0, count: n * u)
        let rk = recurrentKernel.storage.pointer

        // The rows are independent: chunks of the batch run every step on the thread pool,
        // each with its own small per-step GEMMs (one join per sequence, not per step).
        parallelFor(rowChunking) { rows, _ in
            let r0 = rows.lowerBound, m = rows.count
            // Input projection of these samples' timesteps in one GEMM, the input bias pre-filled.
            let projected = xw.pointer + r0 * steps * gu
            if let bias {
                for r in 0..<(m * steps) { (projected + r * gu).update(from: bias.storage.pointer, count: gu) }
            }
            sgemm(m: m * steps, n: gu, k: d, a: input.storage.pointer + r0 * steps * d, lda: d, b: kernel.storage.pointer,
                  ldb: gu, beta: bias == nil ? 0 : 1, c: projected, ldc: gu)
            for s in 0..<steps {
                let t = time(s)
                let hPrev = hs.pointer + s * n * u, hNext = hs.pointer + (s + 1) * n * u
                let act = acts.pointer + s * n * gu
                let hIn = recurrentInput(s, rows: rows, into: dropped.pointer)
                switch cell {
                case .simple(let activation):
                    sgemm(m: m, n: u, k: u, a: hIn + r0 * u, lda: u, b: rk, ldb: u, c: rec.pointer + r0 * u, ldc: u)
                    for row in rows {
                        if isMasked(row, t) { copyRow(hPrev, hNext, row); continue }
                        let x = xw.pointer + (row * steps + t) * gu, r = rec.pointer + row * u
                        let a = act + row * u, h = hNext + row * u
                        for j in 0..<u { a[j] = x[j] + r[j] }
                        activation.apply(a, u)
                        for j in 0..<u { h[j] = a[j] }
                    }
                case let .lstm(activation, recurrentActivation):
                    let cPrev = cs!.pointer + s * n * u, cNext = cs!.pointer + (s + 1) * n * u
                    let activatedCell = extra!.pointer + s * n * u
                    sgemm(m: m, n: gu, k: u, a: hIn + r0 * u, lda: u, b: rk, ldb: gu, c: rec.pointer + r0 * gu, ldc: gu)
                    for row in rows {
                        if isMasked(row, t) { copyRow(hPrev, hNext, row); copyRow(cPrev, cNext, row); continue }
                        let x = xw.pointer + (row * steps + t) * gu, r = rec.pointer + row * gu, a = act + row * gu
                        for j in 0..<gu { a[j] = x[j] + r[j] }
                        recurrentActivation.apply(a, 2 * u)
                        activation.apply(a + 2 * u, u)
                        recurrentActivation.apply(a + 3 * u, u)
                        let c = cNext + row * u, ac = activatedCell + row * u, cp = cPrev + row * u
                        for j in 0..<u { c[j] = a[u + j] * cp[j] + a[j] * a[2 * u + j]; ac[j] = c[j] }
                        activation.apply(ac, u)
                        let h = hNext + row * u
                        for j in 0..<u { h[j] = a[3 * u + j] * ac[j] }
                    }
                case let .gru(activation, recurrentActivation, resetAfter):
                    if resetAfter {
                        sgemm(m: m, n: gu, k: u, a: hIn + r0 * u, lda: u, b: rk, ldb: gu, c: rec.pointer + r0 * gu, ldc: gu)
                        if let recurrentBias {
                            for row in rows { for j in 0..<gu { rec.pointer[row * gu + j] += recurrentBias[j] } }
                        }
                    } else {
                        // z and r from the first 2·units columns; the candidate needs r first.
                        sgemm(m: m, n: 2 * u, k: u, a: hIn + r0 * u, lda: u, b: rk, ldb: gu, c: rec.pointer + r0 * gu, ldc: gu)
                    }
                    let recurrentCandidate = extra?.pointer.advanced(by: s * n * u)
                    for row in rows where !isMasked(row, t) {
                        let x = xw.pointer + (row * steps + t) * gu, r = rec.pointer + row * gu, a = act + row * gu
                        for j in 0..<(2 * u) { a[j] = x[j] + r[j] }
                        recurrentActivation.apply(a, 2 * u)
                        if !resetAfter {
                            for j in 0..<u { resetHidden.pointer[row * u + j] = a[u + j] * hIn[row * u + j] }
                        }
                    }
                    if !resetAfter {
                        sgemm(m: m, n: u, k: u, a: resetHidden.pointer + r0 * u, lda: u, b: rk + 2 * u, ldb: gu,
                              c: rec.pointer + r0 * gu + 2 * u, ldc: gu)
                    }
                    for row in rows {
                        if isMasked(row, t) { copyRow(hPrev, hNext, row); continue }
                        let x = xw.pointer + (row * steps + t) * gu, r = rec.pointer + row * gu, a = act + row * gu
                        let candidate = a + 2 * u
                        if resetAfter {
                            for j in 0..<u { candidate[j] = x[2 * u + j] + a[u + j] * r[2 * u + j] }
                            (recurrentCandidate! + row * u).update(from: r + 2 * u, count: u)
                        } else {
                            for j in 0..<u { candidate[j] = x[2 * u + j] + r[2 * u + j] }
                        }
                        activation.apply(candidate, u)
                        let h = hNext + row * u, hp = hPrev + row * u
                        for j in 0..<u { h[j] = a[j] * hp[j] + (1 - a[j]) * candidate[j] }
                    }
                }
            }
        }

        // Packed result: sequence (n, steps, units) in processing order, then final states.
        let seqCount = n * steps * u
        let packed = Tensor(uninitializedShape: [seqCount + cell.stateCount * n * u])
        let p = packed.storage.pointer
        for row in 0..<n {
            for s in 0..<steps {
                (p + (row * steps + s) * u).update(from: hs.pointer + (s + 1) * n * u + row * u, count: u)
            }
        }
        (p + seqCount).update(from: hs.pointer + steps * n * u, count: n * u)
        if let cs { (p + seqCount + n * u).update(from: cs.pointer + steps * n * u, count: n * u) }
        return packed
    }

    @inline(__always) private func copyRow(_ from: UnsafeMutablePointer<Float>, _ to: UnsafeMutablePointer<Float>, _ row: Int) {
        (to + row * units).update(from: from + row * units, count: units)
    }

    struct Gradients {
        var input, kernel, recurrentKernel, bias: Tensor
        var initialStates: [Tensor]
    }

    func backward(grad: Tensor, input: Tensor, kernel: Tensor, recurrentKernel: Tensor) -> Gradients {
        let u = units, gu = gates * units, seqCount = n * steps * u
        let gp = grad.storage.pointer
        let dh = TensorStorage(uninitializedCount: n * u)
        dh.pointer.update(from: gp + seqCount, count: n * u)
        let dc = TensorStorage(repeating: 0, count: n * u)
        if cs != nil { dc.pointer.update(from: gp + seqCount + n * u, count: n * u) }
        let dxw = TensorStorage(repeating: 0, count: n * steps * gu)
        let dRec = TensorStorage(uninitializedCount: n * gu)
        let dhIn = TensorStorage(uninitializedCount: n * u)
        let dropped = TensorStorage(uninitializedCount: n * u)
        let resetHidden = TensorStorage(uninitializedCount: n * u)
        let dResetHidden = TensorStorage(uninitializedCount: n * u)
        let gRecurrent = Tensor(uninitializedShape: [u, gu])
        let gRecurrentBias = TensorStorage(uninitializedCount: gu)
        let rk = recurrentKernel.storage.pointer
        let dropMask = self.dropMask?.storage.pointer
        // Uᵀ (gu x u), laid out once so that each step's dhIn = dRec · Uᵀ reads it in place
        // instead of transposing U inside every step's GEMM.
        let rkT = TensorStorage(uninitializedCount: u * gu)
        for i in 0..<u { for j in 0..<gu { rkT.pointer[j * u + i] = rk[i * gu + j] } }

        // Each chunk of the batch runs back through time on the thread pool, with its own
        // partial weight and bias gradients, summed afterwards in chunk order.
        let gKernel = Tensor(uninitializedShape: kernel.shape)
        let gBias = Tensor.zeros(cell.biasShape(units: u))
        let chunks = rowChunking.count
        let recurrentSums = ChunkSums(into: gRecurrent.storage.pointer, count: u * gu, chunks: chunks)
        let recurrentBiasSums = ChunkSums(into: gRecurrentBias.pointer, count: gu, chunks: chunks)
        let kernelSums = ChunkSums(into: gKernel.storage.pointer, count: d * gu, chunks: chunks)
        let inputBiasSums = ChunkSums(into: gBias.storage.pointer, count: gu, chunks: chunks)
        let gInput = Tensor(uninitializedShape: input.shape)
        parallelFor(rowChunking) { rows, chunk in
            let r0 = rows.lowerBound, m = rows.count
            let partialRecurrent = recurrentSums.zeroedPart(chunk), partialBias = recurrentBiasSums.zeroedPart(chunk)
            let partialKernel = kernelSums.zeroedPart(chunk), inputBias = inputBiasSums.zeroedPart(chunk)
            defer {
                // Input side of these samples, all timesteps at once: dX, and partial dW and input-bias sums.
                let dx = dxw.pointer + r0 * steps * gu
                sgemm(transB: true, m: m * steps, n: d, k: gu, a: dx, lda: gu, b: kernel.storage.pointer, ldb: gu,
                      c: gInput.storage.pointer + r0 * steps * d, ldc: d)
                sgemm(transA: true, m: d, n: gu, k: m * steps, a: input.storage.pointer + r0 * steps * d, lda: d, b: dx, ldb: gu,
                      c: partialKernel, ldc: gu)
                for r in 0..<(m * steps) { for j in 0..<gu { inputBias[j] += dx[r * gu + j] } }
            }
            for s in stride(from: steps - 1, through: 0, by: -1) {
                let t = time(s)
                let hPrev = hs.pointer + s * n * u
                let act = acts.pointer + s * n * gu
                // Gradient reaching this step's output.
                for row in rows {
                    let src = gp + (row * steps + s) * u, dst = dh.pointer + row * u
                    for j in 0..<u { dst[j] += src[j] }
                }
                let hIn = recurrentInput(s, rows: rows, into: dropped.pointer)
                (dRec.pointer + r0 * gu).update(repeating: 0, count: m * gu)
                switch cell {
                case .simple(let activation):
                    for row in rows where !isMasked(row, t) {
                        for j in 0..<u {
                            let i = row * u + j
                            let gpre = dh.pointer[i] * activation.derivative(y: act[i])
                            dRec.pointer[i] = gpre
                            dxw.pointer[(row * steps + t) * gu + j] = gpre
                        }
                    }
                case let .lstm(activation, recurrentActivation):
                    let cPrev = cs!.pointer + s * n * u
                    let activatedCell = extra!.pointer + s * n * u
                    for row in rows where !isMasked(row, t) {
                        let a = act + row * gu, dg = dRec.pointer + row * gu
                        for j in 0..<u {
                            let k = row * u + j
                            let i = a[j], f = a[u + j], g = a[2 * u + j], o = a[3 * u + j], ac = activatedCell[k]
                            let dcTotal = dc.pointer[k] + dh.pointer[k] * o * activation.derivative(y: ac)
                            dg[j] = dcTotal * g * recurrentActivation.derivative(y: i)
                            dg[u + j] = dcTotal * cPrev[k] * recurrentActivation.derivative(y: f)
                            dg[2 * u + j] = dcTotal * i * activation.derivative(y: g)
                            dg[3 * u + j] = dh.pointer[k] * ac * recurrentActivation.derivative(y: o)
                            dc.pointer[k] = dcTotal * f
                        }
                        (dxw.pointer + (row * steps + t) * gu).update(from: dg, count: gu)
                    }
                case let .gru(activation, recurrentActivation, resetAfter):
                    let recurrentCandidate = extra?.pointer.advanced(by: s * n * u)
                    for row in rows where !isMasked(row, t) {
                        let a = act + row * gu, dg = dRec.pointer + row * gu, dx = dxw.pointer + (row * steps + t) * gu
                        for j in 0..<u {
                            let k = row * u + j
                            let z = a[j], r = a[u + j], hh = a[2 * u + j]
                            let dz = dh.pointer[k] * (hPrev[k] - hh) * recurrentActivation.derivative(y: z)
                            let dCandidate = dh.pointer[k] * (1 - z) * activation.derivative(y: hh)
                            dx[j] = dz; dg[j] = dz
                            dx[2 * u + j] = dCandidate
                            if resetAfter {
                                let dr = dCandidate * recurrentCandidate![k] * recurrentActivation.derivative(y: r)
                                dx[u + j] = dr; dg[u + j] = dr
                                dg[2 * u + j] = dCandidate * r
                            } else {
                                dg[2 * u + j] = dCandidate
                            }
                        }
                    }
                    if !resetAfter {
                        // Candidate path: (r ⊙ hIn) · U_h. Gradient to r ⊙ hIn, then to r and hIn.
                        for row in rows { for j in 0..<u { resetHidden.pointer[row * u + j] = act[row * gu + u + j] * hIn[row * u + j] } }
                        sgemm(m: m, n: u, k: u, a: dRec.pointer + r0 * gu + 2 * u, lda: gu, b: rkT.pointer + 2 * u * u, ldb: u,
                              c: dResetHidden.pointer + r0 * u, ldc: u)
                        sgemm(transA: true, m: u, n: u, k: m, a: resetHidden.pointer + r0 * u, lda: u, b: dRec.pointer + r0 * gu + 2 * u,
                              ldb: gu, beta: 1, c: partialRecurrent + 2 * u, ldc: gu)
                        for row in rows where !isMasked(row, t) {
                            for j in 0..<u {
                                let k = row * u + j, r = act[row * gu + u + j]
                                let dr = dResetHidden.pointer[k] * hIn[k] * recurrentActivation.derivative(y: r)
                                dRec.pointer[row * gu + u + j] = dr
                                dxw.pointer[(row * steps + t) * gu + u + j] = dr
                            }
                        }
                    }
                }

                // Through the recurrent matmul: dU += hInᵀ · dRec, dhIn = dRec · Uᵀ.
                let recurrentColumns: Int
                if case .gru(_, _, false) = cell { recurrentColumns = 2 * u } else { recurrentColumns = gu }
                sgemm(transA: true, m: u, n: recurrentColumns, k: m, a: hIn + r0 * u, lda: u, b: dRec.pointer + r0 * gu, ldb: gu,
                      beta: 1, c: partialRecurrent, ldc: gu)
                sgemm(m: m, n: u, k: recurrentColumns, a: dRec.pointer + r0 * gu, lda: gu, b: rkT.pointer, ldb: u,
                      c: dhIn.pointer + r0 * u, ldc: u)
                if case .gru(_, _, false) = cell {
                    for row in rows { for j in 0..<u {
                        dhIn.pointer[row * u + j] += dResetHidden.pointer[row * u + j] * act[row * gu + u + j]
                    } }
                }
                if case .gru(_, _, true) = cell {
                    for row in rows { for j in 0..<gu { partialBias[j] += dRec.pointer[row * gu + j] } }
                }
                // State gradient for the previous step.
                // dh_prev = dhIn (through the dropout mask), plus z ⊙ dh for a GRU.
                let isGRU: Bool
                if case .gru = cell { isGRU = true } else { isGRU = false }
                for row in rows where !isMasked(row, t) {
                    let g = dh.pointer + row * u, through = dhIn.pointer + row * u, z = act + row * gu
                    if let dropMask {
                        let keep = dropMask + row * u
                        for j in 0..<u { through[j] *= keep[j] }
                    }
                    if isGRU {
                        for j in 0..<u { g[j] = g[j] * z[j] + through[j] }
                    } else {
                        for j in 0..<u { g[j] = through[j] }
                    }
                }
            }
        }
        for sums in [recurrentSums, recurrentBiasSums, kernelSums, inputBiasSums] { sums.combine() }
        if case .gru(_, _, true) = cell { (gBias.storage.pointer + gu).update(from: gRecurrentBias.pointer, count: gu) }
        var initial = [Tensor(shape: [n, u], storage: dh)]
        if cs != nil { initial.append(Tensor(shape: [n, u], storage: dc)) }
        return Gradients(input: gInput, kernel: gKernel, recurrentKernel: gRecurrent, bias: gBias, initialStates: initial)
    }
}
