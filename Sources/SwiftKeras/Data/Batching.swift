/// An element type that `Dataset.batch` can group: tensors stack along a new first axis,
/// strings gather into arrays.
public protocol Batchable {
    associatedtype Batch
    static func batch(_ items: [Self]) throws -> Batch
}

extension Tensor: Batchable {
    /// The tensors stacked along a new first axis; all must have the same shape.
    public static func batch(_ items: [Tensor]) throws -> Tensor {
        guard let first = items.first else { return Tensor.zeros([0]) }
        for (i, item) in items.enumerated() where item.shape != first.shape {
            throw KerasError.invalidData(
                "batch: cannot batch tensors of different shapes: the first element of the batch has shape \(shapeString(first.shape)) and element \(i) has shape \(shapeString(item.shape)); resize or pad the samples first")
        }
        let size = first.count
        let out = Tensor(uninitializedShape: [items.count] + first.shape)
        for (i, item) in items.enumerated() { (out.storage.pointer + i * size).update(from: item.storage.pointer, count: size) }
        return out
    }
}

extension String: Batchable {
    public static func batch(_ items: [String]) -> [String] { items }
}

extension Dataset where Element: Batchable {
    /// Consecutive elements grouped `size` at a time (tf.data's `batch`); the last batch may
    /// be smaller unless `dropRemainder`.
    public func batch(_ size: Int, dropRemainder: Bool = false) -> Dataset<Element.Batch> {
        grouped(size, dropRemainder: dropRemainder) { try Element.batch($0) }
    }
}

extension Dataset {
    /// Consecutive (x, y) pairs grouped `size` at a time, each part batched on its own.
    public func batch<A: Batchable, B: Batchable>(_ size: Int, dropRemainder: Bool = false) -> Dataset<(A.Batch, B.Batch)>
    where Element == (A, B) {
        grouped(size, dropRemainder: dropRemainder) { items in
            (try A.batch(items.map(\.0)), try B.batch(items.map(\.1)))
        }
    }

    func grouped<T>(_ size: Int, dropRemainder: Bool, _ combine: @escaping ([Element]) throws -> T) -> Dataset<T> {
        let size = Swift.max(size, 1)
        let count = cardinality.map { dropRemainder ? $0 / size : ($0 + size - 1) / size }
        return Dataset<T>(cardinality: count) { pass in
            let upstream = try self.start(pass)
            return DatasetIterator(next: {
                var items: [Element] = []
                items.reserveCapacity(size)
                while items.count < size, let element = try upstream.next() { items.append(element) }
                guard !items.isEmpty, !(dropRemainder && items.count < size) else { return nil }
                return try combine(items)
            }, close: upstream.close)
        }
    }
}

// MARK: In-memory sources

extension Tensor {
    /// Row i (along the first axis) as its own tensor.
    func row(_ i: Int) -> Tensor {
        let shape = Array(self.shape.dropFirst())
        let size = shape.reduce(1, *)
        let out = Tensor(uninitializedShape: shape)
        out.storage.pointer.update(from: storage.pointer + i * size, count: size)
        return out
    }
}

private func slices(of tensors: [Tensor], caller: String) throws -> Int {
    guard let first = tensors.first, first.rank >= 1 else {
        throw KerasError.invalidData("\(caller): tensors must have a first (sample) axis")
    }
    for t in tensors where t.rank < 1 || t.shape[0] != first.shape[0] {
        throw KerasError.invalidData(
            "\(caller): all tensors must have the same number of samples; received shapes \(tensors.map { shapeString($0.shape) }.joined(separator: " and "))")
    }
    return first.shape[0]
}

extension Dataset where Element == Tensor {
    /// One element per row of `x` (tf.data's `from_tensor_slices`).
    public convenience init(tensorSlices x: Tensor) throws {
        let n = try slices(of: [x], caller: "Dataset(tensorSlices:)")
        self.init(cardinality: n) { _ in
            var i = 0
            return DatasetIterator(next: {
                guard i < n else { return nil }
                defer { i += 1 }
                return x.row(i)
            })
        }
    }
}

extension Dataset where Element == (Tensor, Tensor) {
    /// One (x, y) element per row of `x` and `y` (tf.data's `from_tensor_slices((x, y))`).
    public convenience init(tensorSlices data: (Tensor, Tensor)) throws {
        let (x, y) = data
        let n = try slices(of: [x, y], caller: "Dataset(tensorSlices:)")
        self.init(cardinality: n) { _ in
            var i = 0
            return DatasetIterator(next: {
                guard i < n else { return nil }
                defer { i += 1 }
                return (x.row(i), y.row(i))
            })
        }
    }
}
