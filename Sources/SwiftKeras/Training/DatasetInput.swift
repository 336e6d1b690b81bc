/// `fit`, `evaluate` and `predict` over a `Dataset` of batches (Keras's `fit(dataset)`):
/// batches are produced as the loop asks for them and checked against the model as they
/// arrive, so a batch that does not fit is reported by its index.

/// One batch as a dataset gives it: the inputs, the targets (none for predict) and the
/// sample weights, when the dataset has them.
typealias DatasetBatch = (x: [Tensor], y: [Tensor], sampleWeight: [Tensor]?)

/// Batches from a `Dataset`, one pass per epoch. A dataset with random access (made from a
/// `DatasetSource`) is read in a new random order each pass when `shuffle` is set, as Keras
/// shuffles a `PyDataset`'s batches; any other dataset is read in its own order (its
/// `shuffle` stage reshuffles each pass).
struct DatasetBatches: BatchSource {
    let batchesPerPass: Int?
    private let begin: (_ pass: Int) throws -> DatasetIterator<DatasetBatch>
    private let check: (DatasetBatch, Int) throws -> Batch
    private var iterator: DatasetIterator<DatasetBatch>?
    private var index = 0

    init<Element>(_ dataset: Dataset<Element>, shuffle: Bool, parts: @escaping (Element) -> DatasetBatch,
                  check: @escaping (DatasetBatch, Int) throws -> Batch) {
        batchesPerPass = dataset.cardinality
        self.check = check
        // Pass n of this fit is the dataset's pass first + n: a fit resumed in a new process
        // (its dataset made anew) meets the shuffles of the passes it resumes.
        let first = dataset.passesStarted
        begin = { pass in
            if shuffle, let access = dataset.randomAccess {
                var rng = GlobalRandom.makeGenerator()
                return access.map(parts).iterator(order: Array(0..<access.count).shuffled(using: &rng))
            }
            let upstream = try dataset.makeIterator(pass: first + pass)
            return DatasetIterator(next: { try upstream.next().map(parts) }, close: upstream.close)
        }
    }

    mutating func startPass(number: Int) throws {
        iterator?.close()
        iterator = nil
        index = 0
        iterator = try begin(number)
    }

    mutating func nextBatch() throws -> Batch? {
        guard let batch = try iterator?.next() else { return nil }
        defer { index += 1 }
        return try check(batch, index)
    }
}

extension Model {
    // MARK: fit

    /// Trains on a dataset of (x, y) batches (Keras's `fit(dataset)`). Each epoch is one pass
    /// over the dataset (a `shuffle` stage reshuffles it); with `stepsPerEpoch`, an epoch is
    /// that many batches and the next goes on where the last stopped. The batches set the
    /// batch size. `shuffle` shuffles the order of a `DatasetSource`'s batches each epoch;
    /// other datasets are read in their own order. The other arguments are those of
    /// `fit(_:_:)`; callbacks, logs and the progress bar are the same (the bar counts steps
    /// when the dataset's cardinality is known, and shows Keras's "n/Unknown" otherwise).
    @discardableResult
    public func fit(_ dataset: Dataset<(Tensor, Tensor)>, epochs: Int = 1, verbose: Int = 1, callbacks: [Callback] = [],
                    validationData: Dataset<(Tensor, Tensor)>? = nil, shuffle: Bool = true,
                    classWeight: [Int: Float]? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                    validationSteps: Int? = nil, validationFreq: ValidationFrequency = 1) throws -> History {
        try fitDataset(dataset, parts: { ([$0.0], [$0.1], nil) }, epochs: epochs, verbose: verbose, callbacks: callbacks,
                       validation: validationData.map { data in { caller, check in
                           DatasetBatches(data, shuffle: false, parts: { ([$0.0], [$0.1], nil) }, check: check(caller))
                       } },
                       shuffle: shuffle, classWeight: classWeight, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                       validationSteps: validationSteps, validationFreq: validationFreq)
    }

    /// fit() on a dataset of (x, y, sampleWeight) batches: one weight per sample, weighing
    /// its loss. Validation batches are (x, y).
    @discardableResult
    public func fit(_ dataset: Dataset<(Tensor, Tensor, Tensor)>, epochs: Int = 1, verbose: Int = 1, callbacks: [Callback] = [],
                    validationData: Dataset<(Tensor, Tensor)>? = nil, shuffle: Bool = true, initialEpoch: Int = 0,
                    stepsPerEpoch: Int? = nil, validationSteps: Int? = nil,
                    validationFreq: ValidationFrequency = 1) throws -> History {
        try fitDataset(dataset, parts: { ([$0.0], [$0.1], [$0.2]) }, epochs: epochs, verbose: verbose, callbacks: callbacks,
                       validation: validationData.map { data in { caller, check in
                           DatasetBatches(data, shuffle: false, parts: { ([$0.0], [$0.1], nil) }, check: check(caller))
                       } },
                       shuffle: shuffle, classWeight: nil, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                       validationSteps: validationSteps, validationFreq: validationFreq)
    }

    private typealias BatchCheck = (String) -> (DatasetBatch, Int) throws -> Batch

    private func fitDataset<Element>(_ dataset: Dataset<Element>, parts: @escaping (Element) -> DatasetBatch, epochs: Int,
                                     verbose: Int, callbacks: [Callback],
                                     validation: ((String, BatchCheck) -> DatasetBatches)?, shuffle: Bool,
                                     classWeight: [Int: Float]?, initialEpoch: Int, stepsPerEpoch: Int?, validationSteps: Int?,
                                     validationFreq: ValidationFrequency) throws -> History {
        let settings = try requireCompiled("fit")
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must be >= 0, received \(epochs)") }
        guard initialEpoch >= 0 else { throw KerasError.invalidArgument("fit: initial_epoch must be >= 0, received \(initialEpoch)") }
        if let stepsPerEpoch { try checkPositive(stepsPerEpoch, "steps_per_epoch", caller: "fit") }
        if let validationSteps { try checkPositive(validationSteps, "validation_steps", caller: "fit") }
        try validationFreq.check()
        if classWeight != nil, settings.losses.count != 1 {
            throw KerasError.invalidArgument(
                "fit: class_weight is not supported for a model with \(settings.losses.count) outputs; pass sample_weight per output instead")
        }
        let check: BatchCheck = { caller in
            { [unowned self] batch, index in try self.checkedBatch(batch, index: index, caller: caller, classWeight: classWeight, settings: settings) }
        }
        buildFromDeclaredShape()
        let training = DatasetBatches(dataset, shuffle: shuffle, parts: parts, check: check("fit"))
        let plan = FitPlan(epochs: epochs, initialEpoch: initialEpoch, verbose: verbose, stepsPerEpoch: stepsPerEpoch,
                           validationSteps: validationSteps, validationFreq: validationFreq)
        return try runFit(training, validation: validation?("fit (validation_data)", check), settings: settings, plan: plan,
                          callbacks: callbacks)
    }

    /// A dataset's batch checked as the tensor path checks whole arrays (shapes, sample
    /// counts, labels, finite values), with errors naming the batch.
    private func checkedBatch(_ batch: DatasetBatch, index: Int, caller: String, classWeight: [Int: Float]? = nil,
                              settings: CompiledSettings?) throws -> Batch {
        let context = "\(caller), batch \(index) of the dataset (counting from 0)"
        do {
            let x = try adapt(batch.x, caller: context)
            guard let settings else {
                try checkFinite(x, name: "x", caller: context)
                return Batch(x: x, y: [], sampleWeights: [])
            }
            try checkData(x, batch.y, caller: context, settings: settings)
            var weights = try sampleWeightsPerOutput(batch.sampleWeight, samples: x[0].shape[0], caller: context, settings: settings)
            if let classWeight { weights = [try classSampleWeights(classWeight, labels: batch.y[0])] }
            return Batch(x: x, y: batch.y, sampleWeights: weights)
        } catch let error as KerasError {
            // Checks that do not take a caller (a loss's label check) get the batch named too.
            switch error {
            case let .incompatibleInput(layer, message):
                throw KerasError.incompatibleInput(layer: layer, message: "\(message) (\(context))")
            case let .invalidData(message) where !message.hasPrefix(context):
                throw KerasError.invalidData("\(context): \(message)")
            case let .invalidArgument(message) where !message.hasPrefix(context):
                throw KerasError.invalidArgument("\(context): \(message)")
            default:
                throw error
            }
        }
    }

    // MARK: evaluate

    /// The loss and metrics on a dataset of (x, y) batches: `[loss, metric1, ...]`.
    public func evaluate(_ dataset: Dataset<(Tensor, Tensor)>, verbose: Int = 1, steps: Int? = nil,
                         callbacks: [Callback] = []) throws -> [Float] {
        try evaluateDataset(dataset, parts: { ([$0.0], [$0.1], nil) }, verbose: verbose, steps: steps, callbacks: callbacks)
    }

    /// evaluate() on a dataset of (x, y, sampleWeight) batches.
    public func evaluate(_ dataset: Dataset<(Tensor, Tensor, Tensor)>, verbose: Int = 1, steps: Int? = nil,
                         callbacks: [Callback] = []) throws -> [Float] {
        try evaluateDataset(dataset, parts: { ([$0.0], [$0.1], [$0.2]) }, verbose: verbose, steps: steps, callbacks: callbacks)
    }

    private func evaluateDataset<Element>(_ dataset: Dataset<Element>, parts: @escaping (Element) -> DatasetBatch, verbose: Int,
                                          steps: Int?, callbacks: [Callback]) throws -> [Float] {
        let settings = try requireCompiled("evaluate")
        if let steps { try checkPositive(steps, "steps", caller: "evaluate") }
        let source = DatasetBatches(dataset, shuffle: false, parts: parts) { [unowned self] batch, index in
            try self.checkedBatch(batch, index: index, caller: "evaluate", settings: settings)
        }
        let list = CallbackList(callbacks, addProgressBar: showsProgress(verbose), model: self,
                                params: CallbackParams(verbose: verbose, epochs: 1, steps: steps ?? source.batchesPerPass))
        return try runTest(source, steps: steps, settings: settings, callbacks: list).results
    }

    // MARK: predict

    /// The model's output for a dataset of input batches, joined along the batch axis.
    public func predict(_ dataset: Dataset<Tensor>, verbose: Int = 0, steps: Int? = nil,
                        callbacks: [Callback] = []) throws -> Tensor {
        try singleOutput(try predictDataset(dataset, parts: { ([$0], [], nil) }, verbose: verbose, steps: steps, callbacks: callbacks))
    }

    /// predict() on a dataset of (x, y) batches: the targets are ignored, as in Keras.
    public func predict(_ dataset: Dataset<(Tensor, Tensor)>, verbose: Int = 0, steps: Int? = nil,
                        callbacks: [Callback] = []) throws -> Tensor {
        try singleOutput(try predictDataset(dataset, parts: { ([$0.0], [], nil) }, verbose: verbose, steps: steps, callbacks: callbacks))
    }

    private func predictDataset<Element>(_ dataset: Dataset<Element>, parts: @escaping (Element) -> DatasetBatch, verbose: Int,
                                         steps: Int?, callbacks: [Callback]) throws -> [Tensor] {
        if let steps { try checkPositive(steps, "steps", caller: "predict") }
        buildFromDeclaredShape()
        let source = DatasetBatches(dataset, shuffle: false, parts: parts) { [unowned self] batch, index in
            try self.checkedBatch(batch, index: index, caller: "predict", settings: nil)
        }
        return try runPredict(source, steps: steps, verbose: verbose, callbacks: callbacks)
    }
}
