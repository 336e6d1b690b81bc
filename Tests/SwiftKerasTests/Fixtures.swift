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

/// The Swift layer for a fixture's Keras class name and config, built through the layer
/// registry as loading a saved model builds it. (The fixtures write a wrapper's inner layer
/// as {"class": ..., "config": ...}; Keras's serialized form says "class_name".)
func makeLayer(_ className: String, _ config: [String: Any]) throws -> Layer {
    var config = config
    if let inner = config["layer"] as? [String: Any], let innerClass = inner["class"] {
        config["layer"] = ["class_name": innerClass, "config": inner["config"] ?? [String: Any]()]
    }
    let json = try JSONSerialization.data(withJSONObject: ["class_name": className, "config": config])
    return try deserializeLayer(ConfigValue.parse(json: Array(json)))
}
