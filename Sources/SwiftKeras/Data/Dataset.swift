/// A sequence of elements made on demand, pass after pass (Keras users know it as
/// `tf.data.Dataset`): from tensors in memory, files read as needed, a generator closure or a
/// `DatasetSource`; transformed with `map`, `filter`, `shuffle`, `batch`, `cache`, `take`,
/// `skip` and `prefetch`. `fit`, `evaluate` and `predict` take a dataset of batches.
///
/// Nothing is read until a pass starts. Each pass (`makeIterator()`, or an epoch of `fit`)
/// runs the pipeline anew: a `shuffle` reshuffles, a `cache` replays what its first complete
/// pass kept. Stages before a `prefetch` run on its background thread.
public final class Dataset<Element>: @unchecked Sendable {
    /// Elements per pass, when known (Keras's `cardinality`); nil for generators and filters.
    public let cardinality: Int?
    /// The class names of a dataset made from class folders (Keras's `class_names`).
    public internal(set) var classNames: [String]?
    /// The files of a dataset made from a folder, in the order of its elements when not
    /// shuffled (Keras's `file_paths`).
    public internal(set) var filePaths: [String]?

    let start: (_ pass: Int) throws -> DatasetIterator<Element>
    /// Random access to the elements, kept only through `map`: a `DatasetSource`'s batches,
    /// whose order `fit(shuffle: true)` shuffles each epoch, as Keras does for a PyDataset.
    let randomAccess: RandomAccess<Element>?
    private let passes = Lock(0)

    init(cardinality: Int?, randomAccess: RandomAccess<Element>? = nil,
         start: @escaping (_ pass: Int) throws -> DatasetIterator<Element>) {
        self.cardinality = cardinality
        self.randomAccess = randomAccess
        self.start = start
    }

    /// Starts the next pass over the elements.
    public func makeIterator() throws -> DatasetIterator<Element> {
        let pass = passes.withLock { p in defer { p += 1 }; return p }
        return try start(pass)
    }

    /// Starts pass `number` (passes count from 0); later passes count on from it. fit uses
    /// it so that a resumed run reads each pass as the interrupted one did.
    func makeIterator(pass number: Int) throws -> DatasetIterator<Element> {
        passes.withLock { $0 = Swift.max($0, number + 1) }
        return try start(number)
    }

    /// Passes started so far.
    var passesStarted: Int { passes.withLock { $0 } }

    /// Calls `body` on every element of one pass.
    public func forEach(_ body: (Element) throws -> Void) throws {
        let iterator = try makeIterator()
        defer { iterator.close() }
        while let element = try iterator.next() { try body(element) }
    }

    /// The elements of one pass.
    public func elements() throws -> [Element] {
        var all: [Element] = []
        try forEach { all.append($0) }
        return all
    }

    // MARK: Sources

    /// Elements produced by calling `next` until it returns nil, which ends a pass; the next
    /// pass calls it again (Keras's generator input: restart the generator yourself, or give
    /// `fit` a `stepsPerEpoch`).
    public convenience init(generator next: @escaping () throws -> Element?) {
        self.init(cardinality: nil) { _ in DatasetIterator(next: next) }
    }

    /// The batches of a `DatasetSource` (Keras's `PyDataset`), read when needed.
    public convenience init<Source: DatasetSource>(_ source: Source) where Source.Element == Element {
        let access = RandomAccess(count: source.count, element: source.batch(at:), onEnd: source.onEpochEnd)
        self.init(cardinality: source.count, randomAccess: access) { _ in access.iterator(order: nil) }
    }

    // MARK: Transformations

    /// Each element transformed (Keras's `dataset.map`).
    public func map<T>(_ transform: @escaping (Element) throws -> T) -> Dataset<T> {
        Dataset<T>(cardinality: cardinality, randomAccess: randomAccess?.map(transform)) { pass in
            let upstream = try self.start(pass)
            return DatasetIterator(next: { try upstream.next().map(transform) }, close: upstream.close)
        }
    }

    /// Only the elements for which `isIncluded` is true.
    public func filter(_ isIncluded: @escaping (Element) throws -> Bool) -> Dataset<Element> {
        Dataset(cardinality: nil) { pass in
            let upstream = try self.start(pass)
            return DatasetIterator(next: {
                while let element = try upstream.next() { if try isIncluded(element) { return element } }
                return nil
            }, close: upstream.close)
        }
    }

    /// The first `count` elements of each pass.
    public func take(_ count: Int) -> Dataset<Element> {
        let limit = Swift.max(count, 0)
        return Dataset(cardinality: cardinality.map { Swift.min($0, limit) } ?? nil) { pass in
            let upstream = try self.start(pass)
            var taken = 0
            return DatasetIterator(next: {
                guard taken < limit, let element = try upstream.next() else { return nil }
                taken += 1
                return element
            }, close: upstream.close)
        }
    }

    /// Each pass without its first `count` elements.
    public func skip(_ count: Int) -> Dataset<Element> {
        Dataset(cardinality: cardinality.map { Swift.max($0 - Swift.max(count, 0), 0) }) { pass in
            let upstream = try self.start(pass)
            var skipped = false
            return DatasetIterator(next: {
                if !skipped {
                    skipped = true
                    for _ in 0..<Swift.max(count, 0) where try upstream.next() == nil { return nil }
                }
                return try upstream.next()
            }, close: upstream.close)
        }
    }

    /// Elements in random order, drawn from a buffer of `bufferSize` elements that refills
    /// from the input (tf.data's shuffle): memory stays bounded by the buffer, and a buffer at
    /// least as large as the dataset gives a uniform shuffle. Each pass reshuffles unless
    /// `reshuffleEachIteration` is false. Without a seed one is drawn from the global
    /// generator (`setRandomSeed` fixes it).
    public func shuffle(bufferSize: Int, seed: UInt64? = nil, reshuffleEachIteration: Bool = true) -> Dataset<Element> {
        let capacity = Swift.max(bufferSize, 1)
        var generator = GlobalRandom.makeGenerator()
        let base = seed ?? generator.next()
        return Dataset(cardinality: cardinality) { pass in
            let upstream = try self.start(pass)
            var rng = RandomGenerator(seed: base &+ (reshuffleEachIteration ? UInt64(pass) &* 0x9E37_79B9_7F4A_7C15 : 0))
            var buffer: [Element] = []
            var exhausted = false
            return DatasetIterator(next: {
                while !exhausted && buffer.count < capacity {
                    guard let element = try upstream.next() else { exhausted = true; break }
                    buffer.append(element)
                }
                guard !buffer.isEmpty else { return nil }
                let i = Int(rng.next() % UInt64(buffer.count))
                buffer.swapAt(i, buffer.count - 1)
                return buffer.removeLast()
            }, close: upstream.close)
        }
    }

    /// Keeps each element after the first complete pass, which later passes replay without
    /// running the stages before it (Keras users' `dataset.cache()`, in memory). A pass that
    /// stops early keeps nothing.
    public func cache() -> Dataset<Element> {
        let kept = Lock(UncheckedSendable<[Element]?>(nil))
        return Dataset(cardinality: cardinality) { pass in
            if let elements = kept.withLock({ $0.value }) {
                var i = 0
                return DatasetIterator(next: {
                    guard i < elements.count else { return nil }
                    defer { i += 1 }
                    return elements[i]
                })
            }
            let upstream = try self.start(pass)
            var seen: [Element] = []
            return DatasetIterator(next: {
                guard let element = try upstream.next() else {
                    let complete = UncheckedSendable<[Element]?>(seen)
                    kept.withLock { if $0.value == nil { $0 = complete } }
                    return nil
                }
                seen.append(element)
                return element
            }, close: upstream.close)
        }
    }

    /// Prepares up to `bufferSize` elements ahead on a background thread while the consumer
    /// works on the current one (Keras users' `dataset.prefetch`). The thread runs the stages
    /// before this one; it ends with the pass, or when the pass's iterator is closed or
    /// released. An error in those stages reaches the consumer at the element where it arose.
    public func prefetch(_ bufferSize: Int = 2) -> Dataset<Element> {
        let capacity = Swift.max(bufferSize, 1)
        return Dataset(cardinality: cardinality, randomAccess: randomAccess) { pass in
            let producer = PrefetchProducer<Element>(capacity: capacity) { try self.start(pass) }
            return DatasetIterator(next: producer.next, close: producer.stop)
        }
    }

    /// Pairs of this dataset's elements with `other`'s, until the shorter one ends
    /// (tf.data's `Dataset.zip((a, b))`).
    public func zip<Other>(_ other: Dataset<Other>) -> Dataset<(Element, Other)> {
        let count: Int? = switch (cardinality, other.cardinality) {
        case let (a?, b?): Swift.min(a, b)
        default: nil
        }
        return Dataset<(Element, Other)>(cardinality: count) { pass in
            let a = try self.start(pass)
            let b: DatasetIterator<Other>
            do { b = try other.start(pass) } catch { a.close(); throw error }
            return DatasetIterator(next: {
                guard let x = try a.next(), let y = try b.next() else { return nil }
                return (x, y)
            }, close: { a.close(); b.close() })
        }
    }
}

/// One pass over a dataset. `close()` (or releasing the iterator) stops the pass early and
/// ends any background thread it started.
public final class DatasetIterator<Element> {
    private let nextElement: () throws -> Element?
    private let onClose: () -> Void
    private var isClosed = false

    init(next: @escaping () throws -> Element?, close: @escaping () -> Void = {}) {
        nextElement = next
        onClose = close
    }

    /// The next element, or nil at the end of the pass.
    public func next() throws -> Element? {
        guard !isClosed else { return nil }
        do {
            guard let element = try nextElement() else { close(); return nil }
            return element
        } catch {
            close()
            throw error
        }
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        onClose()
    }

    deinit { close() }
}

/// A source of batches that can be read in any order (Keras's `PyDataset`): `count` batches,
/// the one at an index on request, and a hook at the end of every epoch.
public protocol DatasetSource<Element> {
    associatedtype Element
    /// Batches per epoch (Keras's `__len__`).
    var count: Int { get }
    /// The batch at `index`, 0 ..< count (Keras's `__getitem__`).
    func batch(at index: Int) throws -> Element
    /// Called after each complete epoch (Keras's `on_epoch_end`).
    func onEpochEnd()
}

extension DatasetSource {
    public func onEpochEnd() {}
}

/// Element i of a dataset that has random access.
struct RandomAccess<Element> {
    let count: Int
    let element: (Int) throws -> Element
    /// Called at the end of each complete pass (a `DatasetSource`'s `onEpochEnd`).
    var onEnd: () -> Void = {}

    func map<T>(_ transform: @escaping (Element) throws -> T) -> RandomAccess<T> {
        RandomAccess<T>(count: count, element: { try transform(element($0)) }, onEnd: onEnd)
    }

    /// A pass in `order` (all indices in turn when nil).
    func iterator(order: [Int]?) -> DatasetIterator<Element> {
        var position = 0
        return DatasetIterator(next: {
            guard position < count else {
                if position == count { position += 1; onEnd() }
                return nil
            }
            defer { position += 1 }
            return try element(order?[position] ?? position)
        })
    }
}
