import Glibc

/// xoshiro256** seeded through SplitMix64: fast, small state, good statistical quality.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    // Visible to inlined callers in other modules (dropout masks draw millions per step).
    @usableFromInline var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Standard normal (Box-Muller).
    @inline(__always)
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float(Glibc.sqrt(-2 * Glibc.log(1 - u1)) * Glibc.cos(2 * Double.pi * u2))
    }

    /// A new generator whose stream is independent of this one's future draws.
    public mutating func split() -> RandomGenerator { RandomGenerator(seed: next()) }

    /// The generator's position: four words that `init(state:)` resumes from exactly.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// Resumes a generator at a saved `state`; nil unless it is four words, not all zero
    /// (a state xoshiro256** never reaches).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }
}

/// The process-wide generator behind initializers, shuffling and dropout.
public enum GlobalRandom {
    /// A generator shared by its users under a lock.
    public final class Stream: Sendable {
        let state: Lock<RandomGenerator>
        public init(seed: UInt64) { state = Lock(RandomGenerator(seed: seed)) }
    }

    private static let process = Stream(seed: UInt64.random(in: 0...UInt64.max))
    @TaskLocal private static var scoped: Stream?

    /// Fixes every later random draw (initializers, shuffling, dropout), like Keras's
    /// `keras.utils.set_random_seed`.
    public static func setSeed(_ seed: UInt64) {
        (scoped ?? process).state.withLock { $0 = RandomGenerator(seed: seed) }
    }

    /// A generator for one consumer (a layer's initializer, an epoch's shuffle).
    public static func makeGenerator() -> RandomGenerator { (scoped ?? process).state.withLock { $0.split() } }

    /// The position of the stream later draws come from (the scoped one inside
    /// `withSeed`). Saved with a model so that resumed training draws what an
    /// uninterrupted run would have: the same shuffles and dropout masks.
    public static var generator: RandomGenerator {
        get { (scoped ?? process).state.withLock { $0 } }
        set { (scoped ?? process).state.withLock { $0 = newValue } }
    }

    /// Runs `body` with its own seeded stream, unaffected by other tasks' draws (tests
    /// running in parallel, several models trained at once).
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(Stream(seed: seed)) { try body() }
    }
}

/// Keras's `set_random_seed`: the same seed gives the same results, for any thread count.
public func setRandomSeed(_ seed: UInt64) { GlobalRandom.setSeed(seed) }

extension Tensor {
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     using rng: inout RandomGenerator) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer, span = high - low
        for i in 0..<out.count { p[i] = low + span * rng.nextUniform() }
        return out
    }

    public static func randomNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1,
                                    using rng: inout RandomGenerator) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer
        for i in 0..<out.count { p[i] = mean + stddev * rng.nextNormal() }
        return out
    }

    /// Normal values redrawn until within two standard deviations, as Keras's TruncatedNormal.
    public static func truncatedNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1,
                                       using rng: inout RandomGenerator) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = out.storage.pointer
        for i in 0..<out.count {
            var z = rng.nextNormal()
            while Swift.abs(z) > 2 { z = rng.nextNormal() }
            p[i] = mean + stddev * z
        }
        return out
    }

    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        var rng = GlobalRandom.makeGenerator()
        return randomUniform(shape, low: low, high: high, using: &rng)
    }

    public static func randomNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1) -> Tensor {
        var rng = GlobalRandom.makeGenerator()
        return randomNormal(shape, mean: mean, stddev: stddev, using: &rng)
    }
}
