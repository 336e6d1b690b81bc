import Glibc
import Testing
@testable import SwiftKerasEngine

@Suite struct TensorTests {
    @Test func broadcastingMatchesNumPyRules() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let column = try Tensor([10, 20], shape: [2, 1])
        #expect(try (a + column).scalars == [11, 12, 13, 24, 25, 26])
        #expect(try (a * Tensor([1, 0, -1])).scalars == [1, 0, -3, 4, 0, -6])
        #expect(throws: TensorError.self) { try a + Tensor([1, 2]) }
    }

    @Test func reductionsOverAxes() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(try a.sum(axes: [0]).scalars == [5, 7, 9])
        #expect(try a.sum(axes: [1]).scalars == [6, 15])
        #expect(try a.mean().item == 3.5)
        #expect(a.argmaxLastAxis().scalars == [2, 2])
        #expect(a.maxLastAxis().scalars == [3, 6])
    }

    @Test func matmulOfSmallMatrices() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
        #expect(try a.matmul(b).scalars == [4, 5, 10, 11])
        #expect(throws: TensorError.self) { try a.matmul(a) }
    }

    @Test func reshapeTransposeSliceGather() throws {
        let a = try Tensor(Array(0..<6).map(Float.init), shape: [2, 3])
        #expect(try a.reshaped([3, -1]).shape == [3, 2])
        #expect(throws: TensorError.self) { try a.reshaped([4, -1]) }
        #expect(try a.transposed().scalars == [0, 3, 1, 4, 2, 5])
        #expect(try a.slice(rows: 1..<2).scalars == [3, 4, 5])
        #expect(try a.gather(rows: [1, 0]).scalars == [3, 4, 5, 0, 1, 2])
        #expect(throws: TensorError.self) { try a.gather(rows: [2]) }
    }

    @Test func valueSemanticsCopyOnWrite() throws {
        let a = try Tensor([1, 2], shape: [2])
        var b = a
        b.withMutableData { $0[0] = 9 }
        #expect(a.scalars == [1, 2])
        #expect(b.scalars == [9, 2])
    }

    @Test func softmaxRowsSumToOne() throws {
        let x = try Tensor([1, 2, 3, 1000, 1000, 1000], shape: [2, 3])
        let s = x.softmax().scalars
        #expect(Swift.abs(s[0] + s[1] + s[2] - 1) < 1e-6)
        #expect(Swift.abs(s[3] - 1.0 / 3) < 1e-6)
    }

    @Test func seededRandomIsReproducible() {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        #expect(Tensor.randomNormal([10], using: &a).scalars == Tensor.randomNormal([10], using: &b).scalars)
        var c = RandomGenerator(seed: 6)
        let t = Tensor.truncatedNormal([10_000], stddev: 1, using: &c).scalars
        #expect(t.allSatisfy { Swift.abs($0) <= 2 })
    }

    @Test func windowGeometryFollowsTensorFlow() throws {
        // "same": ceil(in / stride), extra padding at the end.
        #expect(WindowGeometry.outputSize(7, 3, 2, .same) == (4, 1))
        #expect(WindowGeometry.outputSize(8, 4, 2, .same) == (4, 1))
        #expect(WindowGeometry.outputSize(28, 5, 1, .same) == (28, 2))
        #expect(WindowGeometry.outputSize(7, 2, 2, .valid) == (3, 0))
        #expect(throws: TensorError.self) { try WindowGeometry(inputShape: [1, 2, 2, 1], window: (3, 3), strides: (1, 1), padding: .valid) }
    }
}

/// Serialized: `releaseHeld` empties the pool the other test relies on.
@Suite(.serialized) struct BufferPoolTests {
    /// A size no other test allocates, so tests running beside this one cannot take its buffer.
    static let bytes = BufferPool.minimumBytes + 64 * 7919

    @Test func reusesAFreedBufferOfTheSameSize() {
        // Room in the pool whatever other suites have given back (it keeps at most 256 MB).
        BufferPool.releaseHeld()
        let buffer = BufferPool.allocate(Self.bytes)
        BufferPool.give(buffer, Self.bytes)
        let again = BufferPool.take(Self.bytes)
        #expect(again == buffer)
        if let again { free(again) }
    }

    /// The step `allocate` takes before it retries a failed allocation (the failure itself is not
    /// provoked here): every held buffer is freed (once: a double free would stop the
    /// AddressSanitizer run), and none is handed out afterwards.
    @Test func releaseHeldFreesWhatThePoolKeeps() {
        let buffer = BufferPool.allocate(Self.bytes + 64)
        BufferPool.give(buffer, Self.bytes + 64)
        BufferPool.releaseHeld()
        #expect(BufferPool.take(Self.bytes + 64) == nil)
    }
}
