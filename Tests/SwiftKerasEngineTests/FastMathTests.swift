import Testing
@testable import SwiftKerasEngine

/// The recurrent gates' array activations (the hand-written AVX-512 or AVX2 kernels where they run) give the same bits as
/// the scalar fastSigmoid / fastTanh, across the clamp bounds, zeros, infinities and NaN.
@Suite struct FastMathTests {
    @Test func arrayActivationsMatchScalarBitForBit() {
        var values: [Float] = [0, -0, 1e-30, -1e-30, 88.72, -87.33, 89, -88, 100, -100, .infinity, -.infinity, .nan]
        var random = RandomGenerator(seed: 5)
        for _ in 0..<1_000 { values.append((random.nextUniform() - 0.5) * 40) }
        for (activation, scalar) in [(ScalarActivation.sigmoid, fastSigmoid), (.tanh, fastTanh)] as [(ScalarActivation, (Float) -> Float)] {
            var array = values
            array.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, $0.count) }
            for (input, output) in zip(values, array) {
                let expected = scalar(input)
                #expect(output.bitPattern == expected.bitPattern || (output.isNaN && expected.isNaN),
                        "\(activation)(\(input)): \(output) against \(expected)")
            }
        }
    }
}
