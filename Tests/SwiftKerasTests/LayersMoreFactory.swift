import Testing
@testable import SwiftKeras

/// The Swift layer for a layers_more fixture: Keras's class name and config.
func makeMoreLayer(_ className: String, _ config: [String: Any]) throws -> Layer {
    func float(_ key: String) -> Float? { (config[key] as? Double).map { Float($0) } ?? (config[key] as? Int).map { Float($0) } }
    func bool(_ key: String, _ fallback: Bool) -> Bool { config[key] as? Bool ?? fallback }
    func axes(_ key: String, _ fallback: [Int]) -> [Int] {
        if let list = config[key] as? [Int] { return list }
        if let one = config[key] as? Int { return [one] }
        return fallback
    }
    switch className {
    case "BatchNormalization":
        let clipping = config["renorm_clipping"] as? [String: Double] ?? [:]
        return BatchNormalization(
            axis: config["axis"] as? Int ?? -1, momentum: float("momentum") ?? 0.99, epsilon: float("epsilon") ?? 1e-3,
            center: bool("center", true), scale: bool("scale", true), renorm: bool("renorm", false),
            renormClipping: .init(rmax: clipping["rmax"].map { Float($0) }, rmin: clipping["rmin"].map { Float($0) },
                                  dmax: clipping["dmax"].map { Float($0) }),
            renormMomentum: float("renorm_momentum") ?? 0.99)
    case "LayerNormalization":
        return LayerNormalization(axes: axes("axis", [-1]), epsilon: float("epsilon") ?? 1e-3,
                                  center: bool("center", true), scale: bool("scale", true))
    case "ActivityRegularization": return ActivityRegularization(l1: float("l1") ?? 0, l2: float("l2") ?? 0)
    case "Dense" where config["activity_regularizer"] != nil:
        return Dense(try #require(config["units"] as? Int), activation: Activation(name: config["activation"] as? String ?? "linear"),
                     activityRegularizer: try regularizer(config["activity_regularizer"]))
    case "LeakyReLU": return LeakyReLU(negativeSlope: float("negative_slope") ?? 0.3)
    case "ELU": return ELU(alpha: float("alpha") ?? 1)
    case "ReLU":
        return ReLU(maxValue: float("max_value"), negativeSlope: float("negative_slope") ?? 0, threshold: float("threshold") ?? 0)
    case "PReLU": return PReLU(sharedAxes: axes("shared_axes", []))
    case "Softmax": return Softmax(axes: axes("axis", [-1]))
    default:
        return try makeLayer(className, config)
    }
}

/// A Keras regularizer config ({"class_name": "L1L2", "config": {...}}) or identifier.
func regularizer(_ any: Any?) throws -> Regularizer? {
    guard let any else { return nil }
    if let name = any as? String { return Regularizer(stringLiteral: name) }
    let object = try #require(any as? [String: Any])
    let config = object["config"] as? [String: Any] ?? [:]
    func float(_ key: String) -> Float? { (config[key] as? Double).map { Float($0) } }
    switch try #require(object["class_name"] as? String) {
    case "L1": return .l1(float("l1") ?? 0.01)
    case "L2": return .l2(float("l2") ?? 0.01)
    case "L1L2": return .l1l2(l1: float("l1") ?? 0, l2: float("l2") ?? 0)
    case "OrthogonalRegularizer": return .orthogonal(factor: float("factor") ?? 0.01, mode: config["mode"] as? String ?? "rows")
    case let other: throw KerasError.invalidArgument("no Swift regularizer for \(other)")
    }
}
