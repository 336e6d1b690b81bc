/// One batch: the inputs, the targets (empty for predict) and, per output, one weight per
/// sample (nil: every sample weighs 1).
struct Batch {
    var x: [Tensor]
    var y: [Tensor]
    var sampleWeights: [Tensor?]
    var size: Int { x[0].shape[0] }
}

/// Where fit, evaluate and predict take their batches from. Arrays in memory are one
/// source (`ArrayBatches`); a dataset that produces batches on demand is another: the
/// loops ask only for the next batch.
protocol BatchSource {
    /// Batches in one full pass over the data, when known in advance.
    var batchesPerPass: Int? { get }
    /// Begins a new pass from the first batch (reshuffled, for a source that shuffles).
    /// `number` counts the passes this fit started before, so a resumed fit can start the
    /// pass it was in again.
    mutating func startPass(number: Int) throws
    /// The next batch of the current pass, or nil when the pass is over.
    mutating func nextBatch() throws -> Batch?
    /// Passes over the next batch (a resumed fit skips those it trained on); false at the end.
    mutating func skipBatch() throws -> Bool
}

extension BatchSource {
    mutating func skipBatch() throws -> Bool { try nextBatch() != nil }
}

/// Batches of whole arrays, in order or shuffled anew for every pass. The shuffle draws
/// from the global random generator, so a seed (and a restored generator) fixes it.
struct ArrayBatches: BatchSource {
    let x: [Tensor]
    let y: [Tensor]
    let sampleWeights: [Tensor?]
    let batchSize: Int
    let shuffle: Bool
    private var order: [Int]?
    private var position = 0

    init(x: [Tensor], y: [Tensor] = [], sampleWeights: [Tensor?] = [], batchSize: Int, shuffle: Bool = false) {
        self.x = x
        self.y = y
        self.sampleWeights = sampleWeights.isEmpty ? y.map { _ in nil } : sampleWeights
        self.batchSize = batchSize
        self.shuffle = shuffle
    }

    var sampleCount: Int { x[0].shape[0] }

    var batchesPerPass: Int? { batchCount(samples: sampleCount, batchSize: batchSize) }

    mutating func startPass(number: Int) {
        position = 0
        if shuffle {
            var rng = GlobalRandom.makeGenerator()
            order = Array(0..<sampleCount).shuffled(using: &rng)
        }
    }

    mutating func skipBatch() -> Bool {
        guard position < sampleCount else { return false }
        position = Swift.min(sampleCount, position + batchSize)
        return true
    }

    mutating func nextBatch() throws -> Batch? {
        let n = sampleCount
        guard position < n else { return nil }
        let end = n - position > batchSize ? position + batchSize : n
        let range = position..<end
        position = end
        return try withoutGradients {
            if let order {
                let rows = Array(order[range])
                return Batch(x: try x.map { try $0.gather(rows: rows) }, y: try y.map { try $0.gather(rows: rows) },
                             sampleWeights: try sampleWeights.map { try $0?.gather(rows: rows) })
            }
            return Batch(x: try x.map { try $0.slice(rows: range) }, y: try y.map { try $0.slice(rows: range) },
                         sampleWeights: try sampleWeights.map { try $0?.slice(rows: range) })
        }
    }
}

/// ceil(samples / batchSize), without overflow for any positive batch size.
func batchCount(samples: Int, batchSize: Int) -> Int {
    samples / batchSize + (samples % batchSize == 0 ? 0 : 1)
}

/// The batches of each epoch (Keras's `EpochIterator`). Without `stepsPerEpoch` every epoch
/// is one full pass. With it, an epoch is that many batches and the next epoch goes on
/// where the last one stopped; a pass that runs out first ends the epoch early, with
/// Keras's warning, and the next epoch starts a new pass.
struct EpochIterator<Source: BatchSource> {
    private(set) var source: Source
    let stepsPerEpoch: Int?
    private var passInProgress = false
    private var batchesSeen = 0
    private var passesStarted = 0
    private var passRandomState = RandomGenerator(seed: 0)
    /// Set by `resume(at:)`: the next epoch goes on with the pass under way.
    private var continuesPass = false
    private var warnedRanOut = false
    /// Told where the pass stands after each batch, when fit keeps one.
    var progress: FitProgress?

    init(_ source: Source, stepsPerEpoch: Int? = nil) {
        self.source = source
        self.stepsPerEpoch = stepsPerEpoch
    }

    /// Batches per epoch, when known.
    var steps: Int? { stepsPerEpoch ?? source.batchesPerPass }

    /// The pass under way, if any.
    var position: PassPosition? {
        passInProgress ? PassPosition(number: passesStarted - 1, batches: batchesSeen, randomState: passRandomState) : nil
    }

    /// Goes back to where a backed-up fit stood: the pass started again from the random
    /// state it began with (so it draws the same shuffle) and its first batches skipped.
    /// The caller restores the generator's later position afterwards.
    mutating func resume(at pass: PassPosition?) throws {
        guard let pass else { return }
        GlobalRandom.generator = pass.randomState
        passesStarted = pass.number
        try beginPass()
        while batchesSeen < pass.batches, try source.skipBatch() { batchesSeen += 1 }
        continuesPass = true
        progress?.pass = position
    }

    private mutating func beginPass() throws {
        passRandomState = GlobalRandom.generator
        try source.startPass(number: passesStarted)
        passesStarted += 1
        passInProgress = true
        batchesSeen = 0
    }

    /// Runs `body(step, batch)` for the batches of one epoch, from step `firstStep` (a
    /// resumed epoch's); `body` returns false to stop.
    mutating func runEpoch(from firstStep: Int = 0, _ body: (Int, Batch) throws -> Bool) throws {
        if !passInProgress || (stepsPerEpoch == nil && !continuesPass) { try beginPass() }
        continuesPass = false
        var step = firstStep
        while stepsPerEpoch.map({ step < $0 }) ?? true {
            guard let batch = try source.nextBatch() else {
                passInProgress = false
                progress?.pass = nil
                if stepsPerEpoch != nil && !warnedRanOut {
                    warnedRanOut = true
                    printWarning("Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at least `steps_per_epoch * epochs` batches.")
                }
                return
            }
            batchesSeen += 1
            step += 1
            if let progress {
                progress.step = step
                progress.pass = position
            }
            guard try body(step - 1, batch) else { break }
        }
        if let total = source.batchesPerPass, batchesSeen >= total {
            passInProgress = false
            progress?.pass = nil
        }
    }
}
