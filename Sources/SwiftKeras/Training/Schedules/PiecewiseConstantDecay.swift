/// `values[0]` up to and including step `boundaries[0]`, `values[1]` up to `boundaries[1]`,
/// ..., the last value after the last boundary (Keras's `PiecewiseConstantDecay`).
public struct PiecewiseConstantDecay: LearningRateSchedule, Sendable {
    public let boundaries: [Int]
    public let values: [Float]

    public init(boundaries: [Int], values: [Float]) throws {
        guard boundaries.count == values.count - 1 else {
            throw KerasError.invalidArgument(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. Received: boundaries=\(boundaries) of length \(boundaries.count), and values=\(values) of length \(values.count).")
        }
        guard zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw KerasError.invalidArgument("PiecewiseConstantDecay: boundaries must increase, received \(boundaries)")
        }
        self.boundaries = boundaries
        self.values = values
    }

    public func callAsFunction(_ step: Int) -> Float {
        values[boundaries.firstIndex { step <= $0 } ?? boundaries.count]
    }
}
