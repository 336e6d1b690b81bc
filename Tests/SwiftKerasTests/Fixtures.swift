import Foundation
import Testing
@testable import SwiftKeras

/// Reads the Keras golden values written by Scripts/keras_fixtures/generate_fixtures.py.
enum Fixtures {
    static func load(_ name: String) throws -> [[String: Any]] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        let data = try Data(contentsOf: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    static func loadObject(_ name: String) throws -> [String: Any] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Case names of a fixture file, for parameterized tests.
    static func names(_ file: String) -> [String] {
        ((try? load(file)) ?? []).compactMap { $0["name"] as? String }
    }

    static func find(_ file: String, _ name: String) throws -> [String: Any] {
        try #require(try load(file).first { $0["name"] as? String == name })
    }
}

/// `{"shape": [...], "data": [...]}` → Tensor.
func tensor(_ any: Any?) throws -> Tensor {
    let object = try #require(any as? [String: Any])
    let shape = try #require(object["shape"] as? [Int])
    let data = try #require(object["data"] as? [Double])
    return try Tensor(data.map { Float($0) }, shape: shape)
}

func tensors(_ any: Any?) throws -> [Tensor] {
    try #require(any as? [Any]).map { try tensor($0) }
}

/// |actual - expected| <= tolerance · max(1, |expected|) everywhere, shapes equal.
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, e = expected.scalars
    var worst: Float = 0, at = 0
    for i in a.indices {
        let error = Swift.abs(a[i] - e[i]) / Swift.max(1, Swift.abs(e[i]))
        if !(error <= worst) { worst = error; at = i }
    }
    #expect(worst <= tolerance, "\(what): max relative error \(worst) at \(at): \(a[at]) vs \(e[at])", sourceLocation: sourceLocation)
}

func pair(_ any: Any?) -> (Int, Int)? {
    guard let values = any as? [Int], values.count == 2 else { return nil }
    return (values[0], values[1])
}

/// The Swift layer for a fixture's Keras class name and config.
func makeLayer(_ className: String, _ config: [String: Any]) throws -> Layer {
    let activation = Activation(name: config["activation"] as? String ?? "linear")
    let padding = Padding(rawValue: config["padding"] as? String ?? "valid") ?? .valid
    switch className {
    case "Dense":
        return Dense(try #require(config["units"] as? Int), activation: activation,
                     useBias: config["use_bias"] as? Bool ?? true)
    case "Conv2D":
        return Conv2D(filters: try #require(config["filters"] as? Int), kernelSize: try #require(pair(config["kernel_size"])),
                      strides: pair(config["strides"]) ?? (1, 1), padding: padding, activation: activation,
                      useBias: config["use_bias"] as? Bool ?? true)
    case "MaxPooling2D":
        return MaxPooling2D(poolSize: try #require(pair(config["pool_size"])), strides: pair(config["strides"]), padding: padding)
    case "AveragePooling2D":
        return AveragePooling2D(poolSize: try #require(pair(config["pool_size"])), strides: pair(config["strides"]), padding: padding)
    case "Flatten": return Flatten()
    case "Reshape": return Reshape(try #require(config["target_shape"] as? [Int]))
    case "Activation": return ActivationLayer(activation)
    case "Dropout": return Dropout(Float(try #require(config["rate"] as? Double)))
    case "SimpleRNN", "LSTM", "GRU": return try makeRecurrentLayer(className, config)
    case "Bidirectional":
        let inner = try #require(config["layer"] as? [String: Any])
        let layer = try makeRecurrentLayer(try #require(inner["class"] as? String), try #require(inner["config"] as? [String: Any]))
        let mode = try #require(Bidirectional.MergeMode(rawValue: config["merge_mode"] as? String ?? "concat"))
        return Bidirectional(layer, mergeMode: mode)
    case "TimeDistributed":
        let inner = try #require(config["layer"] as? [String: Any])
        return TimeDistributed(try makeLayer(try #require(inner["class"] as? String), try #require(inner["config"] as? [String: Any])))
    case "Embedding":
        return Embedding(inputDim: try #require(config["input_dim"] as? Int), outputDim: try #require(config["output_dim"] as? Int),
                         maskZero: config["mask_zero"] as? Bool ?? false)
    default: throw KerasError.invalidArgument("no Swift layer for fixture class \(className)")
    }
}

func makeRecurrentLayer(_ className: String, _ config: [String: Any]) throws -> RNNLayer {
    let units = try #require(config["units"] as? Int)
    let activation = Activation(name: config["activation"] as? String ?? "tanh")
    let recurrentActivation = Activation(name: config["recurrent_activation"] as? String ?? "sigmoid")
    let useBias = config["use_bias"] as? Bool ?? true
    let sequences = config["return_sequences"] as? Bool ?? false
    let state = config["return_state"] as? Bool ?? false
    let backwards = config["go_backwards"] as? Bool ?? false
    switch className {
    case "SimpleRNN":
        return SimpleRNN(units, activation: activation, useBias: useBias, returnSequences: sequences, returnState: state, goBackwards: backwards)
    case "LSTM":
        return LSTM(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                    unitForgetBias: config["unit_forget_bias"] as? Bool ?? true, returnSequences: sequences,
                    returnState: state, goBackwards: backwards)
    default:
        return GRU(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                   returnSequences: sequences, returnState: state, goBackwards: backwards,
                   resetAfter: config["reset_after"] as? Bool ?? true)
    }
}
