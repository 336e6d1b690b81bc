/// One-hot encodes integer class labels (Keras's `to_categorical`): (N) → (N, classes).
/// Labels must be integers in [0, numClasses); numClasses defaults to max label + 1.
public func toCategorical(_ labels: Tensor, numClasses: Int? = nil) throws -> Tensor {
    let values = labels.scalars
    for (i, v) in values.enumerated() where v < 0 || v != v.rounded() || !v.isFinite {
        throw KerasError.invalidData("to_categorical: label \(v) at index \(i) is not a non-negative integer")
    }
    // Labels beyond a tensor's count cannot be classes (and would overflow Int).
    let largest = Float(Tensor.maximumElementCount)
    if let (i, v) = values.enumerated().first(where: { $0.element >= largest }) {
        throw KerasError.invalidData("to_categorical: label \(v) at index \(i) is too large for a class index")
    }
    let classes = numClasses ?? (Int(values.max() ?? -1) + 1)
    guard classes > 0 else { throw KerasError.invalidArgument("to_categorical: num_classes must be positive, received \(classes)") }
    if let (i, v) = values.enumerated().first(where: { Int($0.element) >= classes }) {
        throw KerasError.invalidData("to_categorical: label \(Int(v)) at index \(i) is outside [0, \(classes))")
    }
    var shape = labels.shape
    if shape.last == 1 && shape.count > 1 { shape.removeLast() }
    try checkAllocation(shape + [classes], for: "to_categorical (num_classes=\(classes))")
    let out = Tensor.zeros(shape + [classes])
    for (i, v) in values.enumerated() { out.storage.pointer[i * classes + Int(v)] = 1 }
    return out
}
