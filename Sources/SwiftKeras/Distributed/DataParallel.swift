/// How fit, evaluate and predict spread over the processes of an MPI job (Keras's
/// `keras.distribution.DataParallel`, Horovod's shape): `compile(..., distribution: .dataParallel)`.
///
/// Data parallelism: every process holds the whole model. Each global batch of `batchSize`
/// rows is cut into one contiguous part per process, in rank order; each process runs the
/// forward and backward pass on its part, and the gradients are summed with MPI_Allreduce in
/// buckets, each process's weighted by its rows, so the step is the one a single process
/// takes on the whole batch (up to the order of the float sums). Before training, rank 0's
/// weights, optimizer state (slots, moving averages, step count) and random generator are
/// broadcast. Losses and metrics are summed over the processes, so every process logs the
/// same values; only rank 0 shows progress and runs the callbacks that write files.
/// See Docs/Distributed.md.
public struct Distribution: Sendable, Equatable {
    /// Gradient values per MPI_Allreduce call (a variable larger than this gets its own).
    public let bucketSize: Int

    /// Data parallelism with 4 MiB buckets of gradients.
    public static let dataParallel = Distribution(bucketSize: 1 << 20)

    /// Data parallelism with buckets of `bucketSize` float values.
    public static func dataParallel(bucketSize: Int) -> Distribution { Distribution(bucketSize: Swift.max(1, bucketSize)) }
}

extension Model {
    /// compile() for training spread over the processes of an MPI job (see `Distribution`).
    public func compile(loss: Loss, optimizer: Optimizer, metrics: [Metric] = [], distribution: Distribution?) {
        compile(loss: loss, optimizer: optimizer, metrics: metrics)
        setDistribution(distribution)
    }

    /// compile() with an optimizer's name, spread over an MPI job.
    public func compile(loss: Loss, optimizer: String, metrics: [Metric] = [], distribution: Distribution?) {
        compile(loss: loss, optimizer: optimizer, metrics: metrics)
        setDistribution(distribution)
    }

    /// compile() for several outputs, spread over an MPI job.
    public func compile(loss: [Loss], lossWeights: [Float]? = nil, optimizer: Optimizer, metrics: [Metric] = [],
                        distribution: Distribution?) {
        compile(loss: loss, lossWeights: lossWeights, optimizer: optimizer, metrics: metrics)
        setDistribution(distribution)
    }

    private func setDistribution(_ distribution: Distribution?) {
        compiled?.dataParallel = distribution.map(DataParallelTrainer.init)
    }

    /// The distribution chosen in compile(), nil for one process.
    public var distribution: Distribution? { compiled?.dataParallel?.distribution }

    // MARK: Hooks of the training loops (Training/Fit.swift)

    /// Before fit's first epoch: joins the job and makes every process start from rank 0's
    /// weights, optimizer state and random generator. Returns the callbacks this process
    /// runs and its verbosity: on ranks other than 0, no progress bar and none of the
    /// callbacks that write files (every process sees the same logs, so the others
    /// decide alike: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler).
    func beginDataParallel(_ settings: CompiledSettings, callbacks: [Callback], verbose: Int, steps: Int?) throws
        -> (callbacks: [Callback], verbose: Int) {
        guard let trainer = settings.dataParallel, try Distributed.joined() else { return (callbacks, verbose) }
        // Every process would write the same backup folder, and each resumes on its own.
        if callbacks.contains(where: { $0 is BackupAndRestore }) {
            trainer.failedTogether = true
            throw KerasError.invalidArgument(
                "fit with distribution .dataParallel: BackupAndRestore is not supported yet (every process would write the backup); use ModelCheckpoint, which rank 0 runs")
        }
        // Every process must be given the same data: compare the batches per epoch.
        // (0: not known in advance.)
        var mine = [Double](repeating: 0, count: Distributed.size)
        mine[Distributed.rank] = Double(steps.map { $0 + 1 } ?? 0)
        let all = try Distributed.allreduceSum(mine, what: "batches per epoch")
        trainer.failedTogether = false
        if Set(all).count > 1 {
            trainer.failedTogether = true
            let each = all.enumerated().map { "rank \($0.offset): \($0.element == 0 ? "unknown" : String(Int($0.element) - 1))" }
            throw KerasError.invalidData(
                "fit with distribution .dataParallel: every process must be given the same data (the whole dataset; each trains on its part of every batch), but the batches per epoch differ: \(each.joined(separator: ", "))")
        }
        try trainer.synchronize(self, optimizer: settings.optimizer)
        guard Distributed.rank != 0 else { return (callbacks, verbose) }
        return (callbacks.filter { !$0.writesFiles }, 0)
    }

    /// Runs a data-parallel `fit` or `evaluate`: an error that only this process met (a
    /// callback's, say) leaves the others waiting in their next collective, so it ends the job
    /// with its message (MPI_Abort). Errors every process throws together pass through.
    func endingJobOnLocalFailure<R>(_ settings: CompiledSettings, _ caller: String, _ body: () throws -> R) throws -> R {
        guard let trainer = settings.dataParallel else { return try body() }
        do {
            return try body()
        } catch {
            if !Distributed.isInitialized || Distributed.size == 1 || trainer.failedTogether {
                throw error
            }
            Distributed.abort("\(caller) failed on this process only: \(error)")
        }
    }

    /// Whether this process shows progress bars (rank 0 of a data-parallel job, or a single process).
    func showsProgress(_ verbose: Int) -> Bool {
        verbose != 0 && (compiled?.dataParallel == nil || Distributed.rank == 0)
    }

    /// One training step on this process's part of the global `batch` (the whole batch for
    /// one process); nil when the part is empty (a last batch with fewer rows than
    /// processes: this process then adds nothing to the sums). A failure on any process
    /// during the step stops the step on all of them: that one throws its error, the
    /// others `DistributedError.processFailed`.
    func trainStepOnPart(_ batch: Batch, settings: CompiledSettings) throws -> (result: StepResult, part: Batch)? {
        guard let trainer = settings.dataParallel, try Distributed.joined() else { return (try trainStep(batch, settings: settings), batch) }
        let part = try trainer.part(of: batch)
        defer { trainer.endStep(globalRows: batch.size) }
        return try trainer.coordinated(rows: part?.size ?? 0, variables: trainableWeights) {
            guard let part else { return nil }
            let result = try StateUpdates.intercepting(trainer.collectStateUpdate) { try trainStep(part, settings: settings) }
            return (result, part)
        }
    }

    /// After the backward pass: the gradients averaged over the processes (unchanged for one process).
    func reduceGradients(_ gradients: [Tensor], of variables: [Variable], settings: CompiledSettings) throws -> [Tensor] {
        guard let trainer = settings.dataParallel, trainer.stepInProgress else { return gradients }
        return try trainer.reduce(gradients, of: variables)
    }

    /// One test step on this process's part of `batch`; nil when the part is empty.
    func testStepOnPart(_ batch: Batch, settings: CompiledSettings) throws -> (result: StepResult, part: Batch)? {
        guard let trainer = settings.dataParallel, try Distributed.joined() else { return (try testStep(batch, settings: settings), batch) }
        guard let part = try trainer.part(of: batch) else { return nil }
        return (try testStep(part, settings: settings), part)
    }

    /// The logs and results of a pass so far, summed over the processes (this process's
    /// alone for one process). The metrics are objects shared by every copy of `metrics`:
    /// they take the sums for the snapshot, then their own state back.
    func reducedOverProcesses(_ metrics: PassMetrics) -> PassSnapshot {
        guard compiled?.dataParallel != nil, Distributed.size > 1 else { return PassSnapshot(metrics) }
        var pass = metrics
        let local = metrics.state
        // The first sums after a training step are that step's (the logs of its batch end).
        let step = compiled?.dataParallel?.takeStepMetrics() == true ? StepTraffic.metrics : nil
        do {
            pass.state = try Distributed.allreduceSum(local, what: "losses and metrics", step: step)
        } catch {
            Distributed.abort("\(error)")
        }
        defer { pass.state = local }
        return PassSnapshot(pass)
    }

    /// predict() spread over the processes: each predicts a contiguous part of the rows, in
    /// rank order, and every process receives all outputs in order. nil for one process.
    func predictOnParts(_ x: [Tensor], steps: Int?, _ predictPart: ([Tensor]) throws -> [Tensor]) throws -> [Tensor]? {
        guard compiled?.dataParallel != nil, steps == nil, !DataParallelTrainer.insidePart, try Distributed.joined() else { return nil }
        let size = Distributed.size, rank = Distributed.rank
        let rows = partRange(rows: x[0].shape[0], part: rank, of: size)
        let outputs: [Tensor]
        if rows.isEmpty {
            outputs = []
        } else {
            outputs = try DataParallelTrainer.$insidePart.withValue(true) {
                try predictPart(try x.map { try $0.slice(rows: rows) })
            }
        }
        // Ranks with no rows learn the outputs' count and row shapes from rank 0 (which always
        // has rows): a fixed-size header, [outputs, then rank and row shape of each].
        let headerSize = 256
        var header = [UInt64(outputs.count)] + outputs.flatMap { [UInt64($0.rank)] + $0.shape.dropFirst().map(UInt64.init) }
        guard header.count <= headerSize else {
            Distributed.abort("predict: the outputs of model \"\(name)\" have too many axes to gather (\(header.count) > \(headerSize) header words)")
        }
        header += Array(repeating: 0, count: headerSize - header.count)
        header = try Distributed.broadcast(header, what: "predict output shapes")
        var cursor = 1
        return try (0..<Int(header[0])).map { o in
            let rank = Int(header[cursor]); cursor += 1
            let rowShape = header[cursor..<(cursor + rank - 1)].map { Int($0) }; cursor += rank - 1
            let local = o < outputs.count ? outputs[o] : Tensor.zeros([0] + rowShape)
            let values = try Distributed.allgather(local.storage.pointer, count: local.count, what: "predict outputs")
            let rowCount = values.count / Swift.max(1, rowShape.reduce(1, *))
            return try Tensor(values, shape: [rowCount] + rowShape)
        }
    }
}

/// The logs and results of a pass at one moment (`Model.reduced`): what callbacks, fit's
/// validation and evaluate read.
struct PassSnapshot {
    private let entries: Logs
    let results: [Float]

    init(_ metrics: PassMetrics) {
        entries = metrics.logs()
        results = metrics.results
    }

    /// Logs in Keras's order, each name after `prefix` ("val_").
    func logs(prefix: String = "") -> Logs {
        guard !prefix.isEmpty else { return entries }
        var logs = Logs()
        for (key, value) in zip(entries.keys, entries.values) { logs[prefix + key] = value }
        return logs.sortedByKey()
    }
}

extension Callback {
    /// Whether the callback writes files or prints: under data parallelism only rank 0 runs it.
    var writesFiles: Bool { self is ModelCheckpoint || self is CSVLogger || self is TensorBoard || self is ProgbarLogger }
}

/// Rows `part` of `parts` takes of `rows`: contiguous, in order, sizes differing by one at most.
func partRange(rows: Int, part: Int, of parts: Int) -> Range<Int> {
    let base = rows / parts, extra = rows % parts
    let start = part * base + Swift.min(part, extra)
    return start..<(start + base + (part < extra ? 1 : 0))
}

/// The state of data-parallel training for one compiled model: the bucket buffers, the
/// forward pass's state updates of the current step, and whether its gradients were reduced.
final class DataParallelTrainer: @unchecked Sendable {
    let distribution: Distribution
    /// Set while predict runs on this process's part (its inner call must not split again).
    @TaskLocal static var insidePart = false

    private var buffers: [UnsafeMutablePointer<Float>] = []
    private var bufferCounts: [Int] = []
    private var stateUpdates: [(variable: Variable, value: Tensor)] = []
    /// The variables a forward pass updated last step: a process with no rows sends zeros for them.
    private var stateVariables: [Variable] = []
    private var rows = 0
    private var reducedThisStep = false
    /// Set by a training step: its metrics' sums are still to come (`Distributed.statistics`).
    private var stepMetricsPending = false
    /// Whether a coordinated step is running (trainOnBatch and custom loops outside one
    /// reduce nothing).
    private(set) var stepInProgress = false
    /// Set when a step failed on every process at once (one threw, the others were told).
    var failedTogether = false

    init(_ distribution: Distribution) { self.distribution = distribution }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// This process's rows of a global batch; nil when it has none.
    func part(of batch: Batch) throws -> Batch? {
        let size = Distributed.size
        guard size > 1 else { return batch }
        let range = partRange(rows: batch.size, part: Distributed.rank, of: size)
        guard !range.isEmpty else { return nil }
        return try withoutGradients {
            Batch(x: try batch.x.map { try $0.slice(rows: range) }, y: try batch.y.map { try $0.slice(rows: range) },
                  sampleWeights: try batch.sampleWeights.map { try $0?.slice(rows: range) })
        }
    }

    /// Rank 0's weights, optimizer state and random generator on every process.
    func synchronize(_ model: Model, optimizer: Optimizer) throws {
        // Slots are made before the first step, as that step would make them, so that
        // every process holds the same set to receive rank 0's.
        let tensors = withoutGradients { model.weights.map(\.value) }
            + model.trainableWeights.flatMap { optimizer.slots(for: $0) }
        let weights = model.weights
        for (index, tensor) in tensors.enumerated() {
            if index < weights.count {
                // Into a private copy, then assigned: a weight's storage may be shared.
                let copy = tensor.mapDetached { $0 }
                try Distributed.broadcast(copy.storage.pointer, count: copy.count, what: "initial weights")
                try weights[index].assign(copy)
            } else {
                // The optimizer's own slot tensors, which it updates in place too.
                try Distributed.broadcast(tensor.storage.pointer, count: tensor.count, what: "optimizer state")
            }
        }
        let scalars = optimizer.scalarState
        var words = [UInt64(optimizer.iterations), UInt64(scalars.count)] + scalars.map { UInt64($0.bitPattern) }
            + GlobalRandom.generator.state
        words = try Distributed.broadcast(words, what: "optimizer step and random generator")
        optimizer.iterations = Int(words[0])
        let scalarCount = Int(words[1])
        optimizer.scalarState = words[2..<(2 + scalarCount)].map { Float(bitPattern: UInt32($0)) }
        if let generator = RandomGenerator(state: Array(words[(2 + scalarCount)...])) { GlobalRandom.generator = generator }
        // A learning rate set by hand (not a schedule) travels too.
        if optimizer.learningRateSchedule == nil {
            var rate = [optimizer.learningRate]
            try Distributed.broadcast(&rate, count: 1, what: "learning rate")
            optimizer.learningRate = rate[0]
        }
    }

    /// Whether the metrics' sums about to be made are a training step's; clears the mark.
    func takeStepMetrics() -> Bool {
        defer { stepMetricsPending = false }
        return stepMetricsPending
    }

    @Sendable func collectStateUpdate(_ layer: Layer, _ variable: Variable, _ value: Tensor) throws {
        stateUpdates.append((variable, value))
    }

    /// Runs one step's forward and backward pass; when it throws before its gradients were
    /// reduced, tells the other processes (which then throw too) before rethrowing.
    func coordinated<R>(rows: Int, variables: [Variable], _ body: () throws -> R?) throws -> R? {
        self.rows = rows
        reducedThisStep = false
        stepMetricsPending = false
        stateUpdates = []
        stepInProgress = true
        defer { stepInProgress = false }
        do {
            let result = try body()
            // A process with no rows still joins the step's sums.
            if !reducedThisStep { _ = try reduce(nil, of: variables) }
            stepMetricsPending = true
            return result
        } catch {
            if !reducedThisStep { _ = try? exchangeStatus(failed: true) }
            failedTogether = true
            throw error
        }
    }

    /// After a step: a last batch smaller than the job leaves some processes without a forward
    /// pass (and its random draws), so every process takes rank 0's generator again.
    func endStep(globalRows: Int) {
        guard globalRows < Distributed.size else { return }
        do {
            let words = try Distributed.broadcast(GlobalRandom.generator.state, what: "random generator")
            if let generator = RandomGenerator(state: words) { GlobalRandom.generator = generator }
        } catch {
            Distributed.abort("\(error)")
        }
    }

    /// Sums every process's rows and failure flags; returns the total rows, or throws
    /// naming the first process that failed.
    private func exchangeStatus(failed: Bool) throws -> Int {
        let size = Distributed.size
        var status = [Double](repeating: 0, count: size + 1)
        status[0] = Double(rows)
        if failed { status[1 + Distributed.rank] = 1 }
        status = try Distributed.allreduceSum(status, what: "step status", step: .status)
        if let failedRank = (0..<size).first(where: { status[1 + $0] > 0 }), failedRank != Distributed.rank || !failed {
            throw DistributedError.processFailed(
                rank: failedRank,
                message: "[rank \(Distributed.rank) of \(size)] process \(failedRank) failed during a training step (its error is in its output); every process stops")
        }
        return Int(status[0])
    }

    /// The gradients summed over the processes, each process's weighted by its rows, then
    /// divided by all rows: the gradient of the whole batch's mean loss. The forward pass's
    /// state updates (moving statistics) are averaged the same way and assigned. `gradients`
    /// nil: this process had no rows and sends zeros.
    func reduce(_ gradients: [Tensor]?, of variables: [Variable]) throws -> [Tensor] {
        reducedThisStep = true
        let totalRows = try exchangeStatus(failed: false)
        if gradients != nil { stateVariables = stateUpdates.map(\.variable) }
        let counts = variables.map { $0.shape.reduce(1, *) } + stateVariables.map { $0.shape.reduce(1, *) }
        prepareBuckets(counts)
        // Pack: each value times this process's rows.
        let scale = Float(rows)
        let sources: [UnsafePointer<Float>?] = (gradients?.map { UnsafePointer($0.storage.pointer) } ?? variables.map { _ in nil })
            + (gradients == nil ? stateVariables.map { _ in nil } : stateUpdates.map { UnsafePointer($0.value.storage.pointer) })
        forEachSlice(counts) { index, pointer in
            if let source = sources[index] {
                for i in 0..<counts[index] { pointer[i] = source[i] * scale }
            } else {
                pointer.update(repeating: 0, count: counts[index])
            }
        }
        let statisticValues = counts[variables.count...].reduce(0, +)
        try Distributed.allreduceSum(buffers, counts: bufferCounts, what: "gradients",
                                     step: .gradients(movingStatistics: statisticValues))
        let divisor = Float(Swift.max(totalRows, 1))
        var averaged: [Tensor] = []
        var stateValues: [Tensor] = []
        forEachSlice(counts) { index, pointer in
            let shape = index < variables.count ? variables[index].shape : stateVariables[index - variables.count].shape
            let tensor = Tensor(uninitializedShape: shape)
            let out = tensor.storage.pointer
            for i in 0..<counts[index] { out[i] = pointer[i] / divisor }
            if index < variables.count { averaged.append(tensor) } else { stateValues.append(tensor) }
        }
        for (variable, value) in zip(stateVariables, stateValues) { try variable.assign(value) }
        return averaged
    }

    /// Buckets of at most `bucketSize` values holding the variables in order, whole.
    private func prepareBuckets(_ counts: [Int]) {
        var wanted: [Int] = []
        var current = 0
        for count in counts {
            if current > 0 && current + count > distribution.bucketSize {
                wanted.append(current)
                current = 0
            }
            current += count
        }
        if current > 0 { wanted.append(current) }
        guard wanted != bufferCounts else { return }
        for buffer in buffers { buffer.deallocate() }
        buffers = wanted.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
        bufferCounts = wanted
    }

    /// Calls `body(index, pointer)` with where each variable's values lie in the buckets.
    private func forEachSlice(_ counts: [Int], _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        var bucket = 0, offset = 0
        for (index, count) in counts.enumerated() {
            if offset > 0 && offset + count > bufferCounts[bucket] {
                bucket += 1
                offset = 0
            }
            body(index, buffers[bucket] + offset)
            offset += count
        }
    }
}
