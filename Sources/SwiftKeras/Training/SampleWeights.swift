/// One weight per prediction row: each sample's weight (repeated over its rows for a
/// sequence output, unless given per row) times the mask of padded steps; nil when there
/// are neither. Losses and metrics weigh rows by it, as Keras does.
func rowWeights(mask: Tensor?, sampleWeight: Tensor?, rows: Int) throws -> Tensor? {
    guard let sampleWeight else { return try mask.map { try $0.detached.reshaped([rows]) } }
    let samples = sampleWeight.shape.first ?? 1
    let perSample = sampleWeight.count / Swift.max(samples, 1)
    guard sampleWeight.count == rows || (perSample == 1 && samples > 0 && rows % samples == 0) else {
        throw KerasError.invalidData(
            "sample_weight of shape \(shapeString(sampleWeight.shape)) does not fit \(rows) prediction rows for \(samples) samples; give one weight per sample (or one per timestep for sequence outputs)")
    }
    let weights = Tensor(uninitializedShape: [rows])
    let source = sampleWeight.storage.pointer, target = weights.storage.pointer
    let repeats = rows / Swift.max(sampleWeight.count, 1)
    for r in 0..<rows { target[r] = source[r / repeats] }
    if let mask {
        let m = mask.storage.pointer
        for r in 0..<rows { target[r] *= m[r] }
    }
    return weights
}

/// Keras's class_weight as sample weights: each sample weighs its class's weight (1 for a
/// class not listed). Labels are class ids (N) or (N, 1), or one-hot rows (N, classes).
func classSampleWeights(_ classWeight: [Int: Float], labels y: Tensor) throws -> Tensor {
    let n = y.shape[0]
    let width = y.count / Swift.max(n, 1)
    guard y.rank <= 2 else {
        throw KerasError.invalidArgument(
            "fit: class_weight is not supported for targets of 3 or more dimensions (received y of shape \(shapeString(y.shape)))")
    }
    let classes = width == 1 ? y : y.argmaxLastAxis()
    let weights = Tensor(uninitializedShape: [n])
    for i in 0..<n {
        weights.storage.pointer[i] = classWeight[Int(classes.storage.pointer[i].rounded())] ?? 1
    }
    return weights
}
