import CKernels
import Testing
@testable import SwiftKerasEngine

/// Batch normalization's channel passes over channels-last rows: the hand-written kernels
/// against plain loops (the same bits: lanes are channels, so the vector width never changes
/// which values are added), and the op's moments against sums in Double. Shapes include
/// channel counts that are not a multiple of either vector width (8, 16) and row counts that
/// are not a multiple of the 64-row blocks. (The same bits for every thread count:
/// ThreadCountTests in SwiftKerasTests.)
@Suite struct BatchNormKernelTests {
    static let shapes: [(rows: Int, channels: Int)] = [(1, 1), (7, 3), (64, 16), (65, 8), (130, 17), (300, 32), (97, 70), (200, 129)]

    /// The summation order the kernels promise, written out plainly.
    func plainSums(_ a: [Float], _ b: [Float], rows: Int, channels c: Int, shift: [Float]?, center: [Float])
        -> (s1: [Double], s2: [Double])
    {
        var s1 = [Double](repeating: 0, count: c), s2 = s1
        for j in 0..<c {
            var first = 0
            while first < rows {
                var acc1: Float = 0, acc2: Float = 0
                for r in first..<min(first + 64, rows) {
                    let u = a[r * c + j] - (shift?[j] ?? 0)
                    acc1 += u
                    acc2 += u * (b[r * c + j] - center[j])
                }
                s1[j] += Double(acc1)
                s2[j] += Double(acc2)
                first += 64
            }
        }
        return (s1, s2)
    }

    func values(_ count: Int, _ rng: inout RandomGenerator, mean: Float = 0) -> [Float] {
        Tensor.randomNormal([count], mean: mean, stddev: 2, using: &rng).scalars
    }

    @Test(arguments: shapes)
    func channelSumsMatchThePlainLoop(rows: Int, channels: Int) throws {
        guard KernelPath.current != .portable else { return }
        var rng = RandomGenerator(seed: UInt64(31 + rows * channels))
        let a = values(rows * channels, &rng, mean: 1), b = values(rows * channels, &rng, mean: -1)
        let shift = values(channels, &rng), center = values(channels, &rng)
        for withShift in [true, false] {
            let expected = plainSums(a, b, rows: rows, channels: channels, shift: withShift ? shift : nil, center: center)
            var s1 = [Double](repeating: 0, count: channels), s2 = s1
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    shift.withUnsafeBufferPointer { ps in
                        center.withUnsafeBufferPointer { pc in
                            sk_bn_channel_sums(pa.baseAddress, pb.baseAddress, rows, Int32(channels),
                                               withShift ? ps.baseAddress : nil, pc.baseAddress, &s1, &s2)
                        }
                    }
                }
            }
            #expect(s1.map(\.bitPattern) == expected.s1.map(\.bitPattern), "s1, \(rows) x \(channels), shift \(withShift)")
            #expect(s2.map(\.bitPattern) == expected.s2.map(\.bitPattern), "s2, \(rows) x \(channels), shift \(withShift)")
        }
    }

    @Test(arguments: shapes)
    func channelAffineMatchesThePlainLoop(rows: Int, channels: Int) throws {
        guard KernelPath.current != .portable else { return }
        var rng = RandomGenerator(seed: UInt64(41 + rows * channels))
        let x = values(rows * channels, &rng), z = values(rows * channels, &rng)
        let scale = values(channels, &rng), add = values(channels, &rng), zScale = values(channels, &rng)
        for withZ in [false, true] {
            // Guard elements after the end catch a store past the last row.
            var out = [Float](repeating: 7, count: rows * channels + 16)
            sk_bn_channel_affine(x, rows, Int32(channels), scale, add, withZ ? z : nil, withZ ? zScale : nil, &out)
            let expected: [Float] = (0..<(rows * channels)).map { i in
                let j = i % channels
                return withZ ? x[i] * scale[j] + zScale[j] * z[i] + add[j] : x[i] * scale[j] + add[j]
            }
            #expect(out.prefix(rows * channels).map(\.bitPattern) == expected.map(\.bitPattern), "\(rows) x \(channels), z \(withZ)")
            #expect(out.suffix(16).allSatisfy { $0 == 7 })
        }
    }

    @Test(arguments: [([300, 32], -1), ([4, 5, 6, 17], -1), ([2, 70, 3, 3], 1), ([9000, 3], 1), ([1, 1], 0)])
    func momentsMatchDoubleSums(shape: [Int], axis: Int) throws {
        var rng = RandomGenerator(seed: 51)
        // Far from zero and narrow: a one-pass variance without its shift would lose digits here.
        let x = Tensor.randomNormal(shape, mean: 40, stddev: 0.5, using: &rng)
        let (mean, variance) = try channelMoments(x, axis: axis)
        let a = axis < 0 ? axis + shape.count : axis
        let c = shape[a], inner = shape[(a + 1)...].reduce(1, *), n = x.count / c
        let v = x.scalars
        for ch in 0..<c {
            let picked = (0..<x.count).filter { ($0 / inner) % c == ch }.map { Double(v[$0]) }
            let m = picked.reduce(0, +) / Double(n)
            let variance2 = picked.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n)
            #expect(Swift.abs(Double(mean.scalars[ch]) - m) <= 4e-6 * Swift.abs(m), "mean, \(shape) channel \(ch)")
            #expect(Swift.abs(Double(variance.scalars[ch]) - variance2) <= 1e-4 * variance2 + 1e-9, "variance, \(shape) channel \(ch)")
        }
    }
}
