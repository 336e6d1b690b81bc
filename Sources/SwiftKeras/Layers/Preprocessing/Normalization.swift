/// Shifts and scales inputs to zero mean and unit variance per feature (Keras's
/// `Normalization`): `(x - mean) / max(sqrt(variance), 1e-7)`, or the inverse with `invert`.
///
/// `axis` lists the axes that keep their own statistics (counting the batch axis, negative
/// from the end; default the last), every other axis is reduced over. Give `mean` and
/// `variance`, or call `adapt` on data, which sets the non-trainable weights `mean` and
/// `variance` (and Keras's `count`, which Keras leaves 0) from the data's population
/// statistics.
public final class Normalization: Layer {
    public let axis: [Int]
    public let invert: Bool
    public let givenMean: [Float]?
    public let givenVariance: [Float]?
    public private(set) var mean: Variable?
    public private(set) var variance: Variable?
    public private(set) var count: Variable?
    /// The kept axes as positions in a full (batch-first) shape, and the broadcast shape.
    private var keptAxes: [Int] = []
    private var broadcastShape: [Int] = []
    private var fixed: (mean: Tensor, variance: Tensor)?

    public init(axis: [Int] = [-1], mean: [Float]? = nil, variance: [Float]? = nil, invert: Bool = false,
                inputShape: [Int]? = nil, name: String? = nil) {
        self.axis = axis
        self.invert = invert
        givenMean = mean
        givenVariance = variance
        super.init(name: name, inputShape: inputShape)
    }

    public convenience init(axis: Int, mean: [Float]? = nil, variance: [Float]? = nil, invert: Bool = false,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(axis: [axis], mean: mean, variance: variance, invert: invert, inputShape: inputShape, name: name)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        let rank = inputShape.count + 1
        let kept = try axis.map { a -> Int in
            guard a >= -rank, a < rank else {
                throw KerasError.invalidArgument("Layer \"\(name)\": all axis values must be in the range [-ndim, ndim). Received inputs with ndim=\(rank), while axis=\(axis)")
            }
            return a < 0 ? a + rank : a
        }
        keptAxes = Array(Set(kept)).sorted()
        guard !keptAxes.contains(0) else {
            throw KerasError.invalidArgument("Layer \"\(name)\": axis \(axis) keeps the batch axis, whose size is not known")
        }
        let full = [1] + inputShape
        broadcastShape = (0..<rank).map { keptAxes.contains($0) ? full[$0] : 1 }
        let statisticsShape = keptAxes.map { full[$0] }
        let size = statisticsShape.reduce(1, *)
        if let givenMean, let givenVariance {
            guard givenMean.count == givenVariance.count, givenMean.count == 1 || givenMean.count == size else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": mean and variance must have one value or \(size) values (shape \(shapeString(statisticsShape))), received \(givenMean.count) and \(givenVariance.count)")
            }
            func broadcast(_ values: [Float]) throws -> Tensor {
                try Tensor(values.count == 1 ? Array(repeating: values[0], count: size) : values, shape: broadcastShape)
            }
            fixed = (try broadcast(givenMean), try broadcast(givenVariance))
        } else if givenMean != nil || givenVariance != nil {
            throw KerasError.invalidArgument("Layer \"\(name)\": when setting values directly, both mean and variance must be set")
        } else {
            mean = try addWeight(name: "mean", shape: statisticsShape, initializer: .zeros, trainable: false)
            variance = try addWeight(name: "variance", shape: statisticsShape, initializer: .ones, trainable: false)
            count = try addWeight(name: "count", shape: [], initializer: .zeros, trainable: false)
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let (m, v) = try fixed ?? (mean!.value.reshaped(broadcastShape), variance!.value.reshaped(broadcastShape))
        let scale = v.mapDetached { Swift.max($0.squareRoot(), 1e-7) }
        return invert ? try m + input * scale : try (input - m) / scale
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        func list(_ values: [Float]?) -> ConfigValue { values.map { .array($0.map { .double(Double($0)) }) } ?? .null }
        config.merge(["axis": .array(axis.map { .int($0) }), "invert": .bool(invert), "mean": list(givenMean), "variance": list(givenVariance)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        func numbers(_ key: String) throws -> [Float]? {
            guard let value = config.value(key) else { return nil }
            // Nested lists (a mean per position of several kept axes) are read in row-major order.
            func flatten(_ v: ConfigValue) -> [Double]? {
                if let d = v.doubleValue { return [d] }
                guard let items = v.arrayValue else { return nil }
                var out: [Double] = []
                for item in items { guard let part = flatten(item) else { return nil }; out += part }
                return out
            }
            guard let flat = flatten(value) else { throw config.problem(key, "a number or a list of numbers", found: value) }
            return flat.map(Float.init)
        }
        let axis: [Int]
        if let value = config.value("axis"), let single = value.intValue { axis = [single] } else if config.value("axis") == nil { axis = [] } else { axis = try config.ints("axis") }
        return Normalization(axis: axis, mean: try numbers("mean"), variance: try numbers("variance"),
                             invert: try config.bool("invert", default: false), name: config.name)
    }

    /// Sets the mean and variance from `data` (samples along the first axis).
    public func adapt(_ data: Tensor) throws {
        var given: Tensor? = data
        try adapt { defer { given = nil }; return given }
    }

    /// Sets the mean and variance from a dataset's batches (samples along the first axis).
    public func adapt(_ data: Dataset<Tensor>) throws {
        let iterator = try data.makeIterator()
        defer { iterator.close() }
        try adapt(next: iterator.next)
    }

    /// Sets the mean and variance from the inputs of a dataset of (x, y) batches.
    public func adapt(_ data: Dataset<(Tensor, Tensor)>) throws { try adapt(data.map(\.0)) }

    private func adapt(next: () throws -> Tensor?) throws {
        guard givenMean == nil else {
            throw KerasError.invalidArgument("Layer \"\(name)\": adapt() cannot change a mean and variance given to the initializer")
        }
        var totals: (count: Double, mean: [Double], m2: [Double])?
        while let batch = try next() {
            guard batch.rank >= 1, batch.shape[0] > 0 else {
                throw KerasError.invalidData("Layer \"\(name)\": adapt() received an empty batch of shape \(shapeString(batch.shape))")
            }
            try buildIfNeeded(inputShape: Array(batch.shape.dropFirst()))
            guard let built = builtInputShape, Array(batch.shape.dropFirst()) == built else {
                throw KerasError.invalidData(
                    "Layer \"\(name)\": the layer was built with input shape \(shapeString([nil] + (builtInputShape ?? []).map { Optional($0) })), but adapt() received data of shape \(shapeString(batch.shape))")
            }
            // Per kept position: count, mean and sum of squared deviations (Chan's merge).
            let statisticsSize = keptAxes.map { batch.shape[$0] }.reduce(1, *)
            var sums = [Double](repeating: 0, count: statisticsSize), squares = sums
            let p = batch.storage.pointer
            var strides = [Int](repeating: 1, count: batch.rank)
            for i in stride(from: batch.rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * batch.shape[i + 1] }
            let keptStrides = keptAxes.map { strides[$0] }, keptSizes = keptAxes.map { batch.shape[$0] }
            func statisticsIndex(_ flat: Int) -> Int {
                var index = 0
                for (k, stride) in keptStrides.enumerated() { index = index * keptSizes[k] + (flat / stride) % keptSizes[k] }
                return index
            }
            let perPosition = Double(batch.count / statisticsSize)
            for i in 0..<batch.count { sums[statisticsIndex(i)] += Double(p[i]) }
            let batchMean = sums.map { $0 / perPosition }
            for i in 0..<batch.count {
                let d = Double(p[i]) - batchMean[statisticsIndex(i)]
                squares[statisticsIndex(i)] += d * d
            }
            if let t = totals {
                let total = t.count + perPosition
                totals = (total,
                          (0..<statisticsSize).map { t.mean[$0] + (batchMean[$0] - t.mean[$0]) * perPosition / total },
                          (0..<statisticsSize).map {
                              let delta = batchMean[$0] - t.mean[$0]
                              return t.m2[$0] + squares[$0] + delta * delta * t.count * perPosition / total
                          })
            } else {
                totals = (perPosition, batchMean, squares)
            }
        }
        guard let totals else { throw KerasError.invalidData("Layer \"\(name)\": adapt() received no data") }
        try mean!.assign(try Tensor(totals.mean.map { Float($0) }, shape: mean!.shape))
        try variance!.assign(try Tensor(totals.m2.map { Float($0 / totals.count) }, shape: variance!.shape))
    }
}
