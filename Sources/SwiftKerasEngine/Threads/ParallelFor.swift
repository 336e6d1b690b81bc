// The thread pool's interface for kernels: a parallel loop over chunks whose boundaries
// depend on the work alone, and sums that chunks accumulate apart and add up in order.
// Together they make every result the same, bit for bit, for any thread count.

/// How a loop over `items` items is cut into chunks.
///
/// The chunks depend on the work alone, never on the number of threads: what a chunk
/// computes (which GEMM kernel handles which row, the order of a sum) is then the same
/// for every thread count, and so is every result. Make more chunks than a machine has
/// threads where the work allows, so that threads that finish early take the remaining
/// chunks, but each large enough to pay for handing it out (about a microsecond).
public struct Chunking: Sendable, Equatable {
    /// The items the chunks cover.
    public let items: Int
    /// Items per chunk; the last chunk may have fewer.
    public let size: Int

    /// No loop is cut into more chunks than this (a larger loop gets larger chunks).
    public static let maximumChunks = 4096
    /// Chunks a loop is cut into by default, at most: enough for dynamic hand-out on
    /// machines of up to a few dozen threads.
    public static let defaultMaximumChunks = 64
    /// The least work worth a chunk of its own, in multiply-adds (or comparable steps): a
    /// few microseconds of one core.
    public static let defaultMinimumCost = 1 << 17
    /// The least number of elements worth a chunk of an elementwise pass.
    public static let elementsPerChunk = 1 << 16

    /// Chunks of `size` items (at least 1); larger if that would make more than
    /// `maximumChunks` chunks.
    public init(items: Int, size: Int) {
        self.items = Swift.max(items, 0)
        let fewest = (self.items + Self.maximumChunks - 1) / Self.maximumChunks
        self.size = Swift.max(size, fewest, 1)
    }

    /// As many chunks as the work pays for: each costs at least `minimumCost` (items cost
    /// `costPerItem` each), there are at most `maximumChunks`, sizes are multiples of
    /// `multiple` (whole SIMD vectors or GEMM strips), and the chunks are of equal size but
    /// for the last.
    public init(
        items: Int, costPerItem: Int, minimumCost: Int = defaultMinimumCost,
        maximumChunks: Int = defaultMaximumChunks, multiple: Int = 1
    ) {
        let items = Swift.max(items, 0), multiple = Swift.max(multiple, 1)
        let cost = Swift.max(costPerItem, 1)
        var size = Swift.max((minimumCost + cost - 1) / cost, (items + Swift.max(maximumChunks, 1) - 1) / Swift.max(maximumChunks, 1), 1)
        // Even out: the fewest chunks of at most that size, shared equally.
        let count = Swift.max((items + size - 1) / size, 1)
        size = (items + count - 1) / count
        size = Swift.max((size + multiple - 1) / multiple * multiple, multiple)
        self.init(items: items, size: size)
    }

    /// Chunks for an elementwise pass over `count` elements (sizes in whole vectors of 16).
    public static func elements(_ count: Int) -> Chunking {
        Chunking(items: count, costPerItem: 1, minimumCost: elementsPerChunk,
                 maximumChunks: maximumChunks, multiple: 16)
    }

    /// Chunks of `rows` rows of `width` elements each, for a pass that costs about
    /// `costPerElement` elementwise steps per element (a softmax's exponentials: a few).
    public static func rows(_ rows: Int, width: Int, costPerElement: Int = 1) -> Chunking {
        Chunking(items: rows, costPerItem: Swift.max(width, 1) * costPerElement, minimumCost: elementsPerChunk,
                 maximumChunks: maximumChunks)
    }

    /// The number of chunks.
    public var count: Int { (items + size - 1) / size }

    /// The items of chunk `chunk`.
    public subscript(chunk: Int) -> Range<Int> {
        let start = chunk * size
        return start..<Swift.min(start + size, items)
    }
}

/// Runs `body(range, chunk)` for every chunk of `chunking` on the thread pool (the calling
/// thread takes part) and returns when all have run.
///
/// Chunks run in any order and at the same time: each must write memory of its own (sums
/// they share go through `ChunkSums`). A loop started from inside a chunk runs its chunks
/// one after the other on that chunk's thread.
public func parallelFor(_ chunking: Chunking, _ body: (_ range: Range<Int>, _ chunk: Int) -> Void) {
    let count = chunking.count
    guard count > 1 else {
        if count == 1 { body(chunking[0], 0) }
        return
    }
    ThreadPool.shared.run(chunks: count) { chunk in body(chunking[chunk], chunk) }
}

/// An elementwise pass over `count` elements on the thread pool, in chunks of
/// `Chunking.elements(count)`; `body` gets each chunk's elements and writes only those.
public func parallelFor(elements count: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(Chunking.elements(count)) { range, _ in body(range) }
}

/// A pass over `rows` rows of `width` elements on the thread pool, in chunks of
/// `Chunking.rows(rows, width:costPerElement:)`; `body` gets each chunk's rows.
public func parallelFor(rows: Int, width: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelFor(Chunking.rows(rows, width: width, costPerElement: costPerElement)) { range, _ in body(range) }
}

/// A sum (a weight gradient, say) over the chunks of a parallel loop: each chunk adds into
/// a buffer of its own, and `combine()` adds the buffers into the total in chunk order, so
/// the result has the same bits for every thread count.
///
/// ```swift
/// let sums = ChunkSums(into: gradient, count: n, chunks: chunking.count)
/// parallelFor(chunking) { range, chunk in
///     let partial = sums.zeroedPart(chunk)
///     for item in range { /* partial[j] += ... */ }
/// }
/// sums.combine()
/// ```
public final class ChunkSums: @unchecked Sendable {
    /// Where the sum ends up; chunk 0 accumulates here directly.
    public let total: UnsafeMutablePointer<Float>
    public let count: Int
    public let chunks: Int
    private let others: TensorStorage

    /// A sum of `count` values over `chunks` chunks, to be written to `total` (which need
    /// not be initialized).
    public init(into total: UnsafeMutablePointer<Float>, count: Int, chunks: Int) {
        self.total = total
        self.count = count
        self.chunks = chunks
        others = TensorStorage(uninitializedCount: Swift.max(chunks - 1, 0) * count)
    }

    /// Chunk `chunk`'s buffer, zeroed: each chunk calls this once, before it adds anything.
    public func zeroedPart(_ chunk: Int) -> UnsafeMutablePointer<Float> {
        let part = chunk == 0 ? total : others.pointer + (chunk - 1) * count
        part.update(repeating: 0, count: count)
        return part
    }

    /// Adds every chunk's buffer into `total`, in chunk order (element ranges in parallel).
    public func combine() {
        guard chunks > 0 else {
            total.update(repeating: 0, count: count)
            return
        }
        guard chunks > 1 else { return }
        let total = self.total, others = self.others.pointer, count = self.count, parts = chunks - 1
        let chunking = Chunking(items: count, costPerItem: parts, minimumCost: Chunking.elementsPerChunk,
                                maximumChunks: Chunking.maximumChunks, multiple: 16)
        parallelFor(chunking) { range, _ in
            for part in 0..<parts {
                let source = others + part * count
                for i in range { total[i] += source[i] }
            }
        }
    }
}
