import Foundation
import Testing
@testable import SwiftKeras

/// The newer layers' Keras configs (layers_more_configs.json, written by
/// Scripts/keras_fixtures/layers_more.py): each rebuilds through the layer registry and
/// serializes back to Keras's config key for key; models with them survive a JSON round
/// trip with the same outputs.
@Suite struct LayersMoreConfigTests {
    static let configs: ConfigObject = {
        guard let url = Bundle.module.url(forResource: "Fixtures/layers_more_configs", withExtension: "json"),
              let data = try? Data(contentsOf: url) else { return [:] }
        return (try? ConfigValue.parse(json: Array(data)).objectValue) ?? [:]
    }()

    @Test(arguments: configs.keys)
    func kerasConfigRoundTrips(_ key: String) throws {
        let recorded = try #require(Self.configs[key])
        let layer = try deserializeLayer(recorded)
        if let shape = recorded.objectValue?["build_config"]?.objectValue?["input_shape"]?.arrayValue {
            try layer.buildIfNeeded(inputShape: shape.dropFirst().map { $0.intValue ?? -1 })
        }
        let difference = firstDifference(constraintBoundsAsDoubles(try serializeLayer(layer)), constraintBoundsAsDoubles(recorded))
        #expect(difference == nil, "\(key): \(difference ?? "")")
    }

    /// The parity cases build their layers from the short configs the fixtures carry; those
    /// layers have Keras's full config (Keras's defaults fill in what the case left out).
    @Test(arguments: configs.keys.filter { $0.hasPrefix("layers_more.json/") })
    func fixtureLayersHaveKerasDefaults(_ key: String) throws {
        let name = String(key.dropFirst("layers_more.json/".count))
        let fixture = try #require(LayersMoreParityTests.cases[name])
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        try layer.buildIfNeeded(inputShape: Array(try tensors(fixture["inputs"])[0].shape.dropFirst()))
        let recorded = try #require(Self.configs[key]?.objectValue?["config"])
        #expect(firstDifference(withoutNames(.object(layer.getConfig())), withoutNames(recorded)) == nil, "\(key)")
    }

    /// A constraint's max_value / min_value as a Double: Keras keeps whatever Python number it
    /// was given (MaxNorm(3) writes 3, MaxNorm(1.0) writes 1.0), a Float cannot tell them apart,
    /// and Keras reads either.
    func constraintBoundsAsDoubles(_ value: ConfigValue) -> ConfigValue {
        switch value {
        case .object(let object):
            return .object(ConfigObject(object.entries.map { key, entry in
                if ["max_value", "min_value"].contains(key), let d = entry.doubleValue { return (key, ConfigValue.double(d)) }
                return (key, constraintBoundsAsDoubles(entry))
            }))
        case .array(let items): return .array(items.map(constraintBoundsAsDoubles))
        default: return value
        }
    }

    @Test func fixturesArePresent() {
        #expect(Self.configs.count >= 130)
    }

    /// Every step model of layers_more_models.json through toJSON and modelFromJSON: same
    /// config, and with the weights copied over, the same predictions and training step.
    @Test(arguments: ["bn_cnn_sgd", "regularized_mlp", "regularized_cnn", "regularized_embedding"])
    func modelsRoundTripThroughJSON(_ name: String) throws {
        let steps = try #require(try Fixtures.loadObject("layers_more_models")["steps"] as? [[String: Any]])
        let fixture = try #require(steps.first { $0["name"] as? String == name })
        let model = LayerNames.withFreshNames { LayersMoreModelTests.model(name) }
        model.compile(loss: LayersMoreModelTests.loss(name), optimizer: LayersMoreModelTests.optimizer(name))
        try model.setWeights(try tensors(fixture["weights_initial"]))
        let json = try model.toJSON()
        let loaded = try modelFromJSON(json)
        #expect(try loaded.toJSON() == json)
        try loaded.setWeights(model.getWeights())
        let x = try tensor(fixture["x"]), y = try tensor(fixture["y"])
        #expect(try loaded.predict(x).scalars == (try model.predict(x)).scalars, "\(name) predict")
        // Regularizers and constraints came back too: one training step gives the same loss and weights.
        loaded.compile(loss: LayersMoreModelTests.loss(name), optimizer: LayersMoreModelTests.optimizer(name))
        let lossLoaded = try loaded.trainOnBatch(x, y)[0], lossOriginal = try model.trainOnBatch(x, y)[0]
        #expect(lossLoaded == lossOriginal, "\(name) training loss")
        for (a, b) in zip(loaded.getWeights(), model.getWeights()) { #expect(a.scalars == b.scalars, "\(name) weights after a step") }
    }
}
