import Foundation
import Testing
@testable import SwiftKeras

/// Keras's serialized layers recorded by Scripts/keras_fixtures/saving.py.
enum SavingFixtures {
    static let folder: URL = Bundle.module.url(forResource: "Fixtures/saving", withExtension: nil)!

    static func json(_ name: String) throws -> ConfigValue {
        try ConfigValue.parse(json: Array(Data(contentsOf: folder.appendingPathComponent(name))))
    }

    static let layerConfigs: ConfigObject = (try? json("layer_configs.json").objectValue) ?? [:]
}

/// The value with every "name" entry removed, at any depth (names are per process).
func withoutNames(_ value: ConfigValue) -> ConfigValue {
    switch value {
    case .object(let object):
        return .object(ConfigObject(object.entries.filter { $0.key != "name" }.map { ($0.key, withoutNames($0.value)) }))
    case .array(let items): return .array(items.map(withoutNames))
    default: return value
    }
}

/// The first difference between two configs, as a path, for failure messages.
func firstDifference(_ a: ConfigValue, _ b: ConfigValue, at path: String = "") -> String? {
    switch (a, b) {
    case let (.object(x), .object(y)):
        for key in Set(x.keys + y.keys).sorted() {
            guard let u = x[key] else { return "\(path)/\(key): missing here, Keras has \(y[key]!.excerpt)" }
            guard let v = y[key] else { return "\(path)/\(key): \(u.excerpt) here, Keras has none" }
            if let d = firstDifference(u, v, at: "\(path)/\(key)") { return d }
        }
        return nil
    case let (.array(x), .array(y)) where x.count == y.count:
        for (i, (u, v)) in zip(x, y).enumerated() { if let d = firstDifference(u, v, at: "\(path)[\(i)]") { return d } }
        return nil
    default:
        return a == b ? nil : "\(path): \(a.excerpt) here, Keras has \(b.excerpt)"
    }
}

@Suite struct LayerConfigTests {
    static let cases = SavingFixtures.layerConfigs.keys

    /// Builds Keras's config through the registry, builds the layer for the recorded input
    /// shape, and serializes it again: the result is Keras's config, key for key.
    @Test(arguments: cases)
    func kerasConfigRoundTrips(_ key: String) throws {
        let recorded = try #require(SavingFixtures.layerConfigs[key])
        let layer = try deserializeLayer(recorded)
        if let shape = recorded.objectValue?["build_config"]?.objectValue?["input_shape"]?.arrayValue {
            if let merge = layer as? MergeLayer {
                try merge.buildIfNeeded(inputShapes: shape.map { ($0.arrayValue ?? []).dropFirst().map { $0.intValue ?? -1 } })
            } else {
                try layer.buildIfNeeded(inputShape: shape.dropFirst().map { $0.intValue ?? -1 })
            }
        }
        let written = try serializeLayer(layer)
        #expect(firstDifference(written, recorded) == nil, "\(key)")
    }

    /// The parity tests build their layers from the short configs the fixtures carry; those
    /// layers have Keras's full config (Keras's defaults fill in what the case left out).
    @Test(arguments: cases.filter { $0.split(separator: "/").count == 2 && !$0.hasPrefix("functional") })
    func fixtureLayersHaveKerasDefaults(_ key: String) throws {
        let parts = key.split(separator: "/").map(String.init)
        let fixture = try Fixtures.find(parts[0].replacingOccurrences(of: ".json", with: ""), parts[1])
        let layer = try makeLayer(try #require(fixture["layer"] as? String), try #require(fixture["config"] as? [String: Any]))
        try layer.buildIfNeeded(inputShape: Array(try tensor(fixture["input"]).shape.dropFirst()))
        let recorded = try #require(SavingFixtures.layerConfigs[key]?.objectValue?["config"])
        let config = ConfigValue.object(layer.getConfig())
        #expect(firstDifference(withoutNames(config), withoutNames(recorded)) == nil, "\(key)")
    }

    @Test func jsonRoundTripsAndMatchesPythonSpacing() throws {
        let text = #"{"a": [1, 2.5, -0.001, 1e-07, true, null, "\u00e9\n"], "b": {"c": NaN, "d": -Infinity}, "e": 1e+16}"#
        let value = try ConfigValue.parse(json: text)
        #expect(value.json() == text)
        #expect(value.objectValue?.keys == ["a", "b", "e"])
        #expect(ConfigValue.float(0.3) == .double(0.3))
        #expect(try ConfigValue.parse(json: "[1, 1.0]") == [.int(1), .double(1)])
    }

    @Test func malformedJSONNamesTheOffset() throws {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "\"\\x\"", "01x", String(repeating: "[", count: 1000)] {
            #expect(throws: ConfigValue.ParseError.self) { try ConfigValue.parse(json: text) }
        }
        let error = #expect(throws: ConfigValue.ParseError.self) { try ConfigValue.parse(json: "[1, 2") }
        #expect(error?.description == "invalid JSON at byte 5: unterminated array")
    }

    @Test func badConfigsNameTheLayerAndKey() throws {
        func message(_ json: String) -> String {
            do { _ = try deserializeLayer(try ConfigValue.parse(json: json)); return "no error" } catch { return "\(error)" }
        }
        #expect(message(#"{"class_name": "Foo", "config": {}}"#)
            == "unknown layer class 'Foo' (register it with registerKerasSerializable(Foo.self, package: \"Custom\"))")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": "x"}}"#)
            == "layer 'd' (Dense): 'units' must be an integer, found \"x\"")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "colour": 1}}"#)
            == "layer 'd' (Dense): unrecognized config key(s) 'colour'")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "lora_rank": 4}}"#)
            == "layer 'd' (Dense): 'lora_rank' is not supported by SwiftKeras (only null is), found 4")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": "l3"}}"#)
            == "layer 'd' (Dense): 'kernel_regularizer': unknown regularizer 'l3'")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float16"}}"#)
            == "layer 'd' (Dense): dtype \"float16\" is not supported (SwiftKeras computes in float32)")
        #expect(message(#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "data_format": "channels_first"}}"#)
            == "layer 'c' (Conv2D): 'data_format' must be \"channels_last\" in SwiftKeras, found \"channels_first\"")
        #expect(message(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": {"class_name": "Magic"}}}"#)
            == "layer 'd' (Dense): 'kernel_initializer': unknown initializer class 'Magic'")
        #expect(message("[]").hasPrefix("layer config: expected a serialized layer object"))
    }

    @Test func trainableIsSavedAndHonoured() throws {
        let dense = Dense(3)
        try dense.buildIfNeeded(inputShape: [2])
        dense.trainable = false
        #expect(dense.trainableWeights.isEmpty && dense.nonTrainableWeights.count == 2)
        #expect(dense.getConfig()["trainable"] == false)
        let rebuilt = try deserializeLayer(try serializeLayer(dense))
        try rebuilt.buildIfNeeded(inputShape: [2])
        #expect(!rebuilt.trainable && rebuilt.trainableWeights.isEmpty)

        // A frozen layer keeps its weights through training; the others move.
        try GlobalRandom.withSeed(3) {
            let frozen = Dense(4, activation: .relu, inputShape: [3])
            let model = Sequential([frozen, Dense(1)])
            frozen.trainable = false
            model.compile(loss: .meanSquaredError, optimizer: SGD(learningRate: 0.1))
            let before = model.getWeights()
            try model.fit(Tensor.randomNormal([16, 3]), Tensor.randomNormal([16, 1]), epochs: 2, verbose: 0)
            let after = model.getWeights()
            #expect(after[0].scalars == before[0].scalars && after[1].scalars == before[1].scalars)
            #expect(after[2].scalars != before[2].scalars)
            #expect(model.trainableWeights.count == 2)
        }
        // Wrappers pass the flag to their inner layers, and layers built later follow it.
        let bidirectional = Bidirectional(LSTM(2))
        bidirectional.trainable = false
        try bidirectional.buildIfNeeded(inputShape: [3, 4])
        #expect(bidirectional.trainableWeights.isEmpty && bidirectional.weights.count == 6)
    }
}

/// A layer defined outside the library, registered the way Keras's
/// `@register_keras_serializable` registers one.
final class Scale: Layer {
    let factor: Float
    init(factor: Float, name: String? = nil) {
        self.factor = factor
        super.init(name: name)
    }
    override func call(_ input: Tensor, training: Bool) throws -> Tensor { input * factor }
    override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["factor"] = .float(factor)
        return config
    }
    override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Scale(factor: try config.float("factor"), name: config.name)
    }
}

final class Unregistered: Layer {}

@Suite struct CustomLayerConfigTests {
    @Test func registeredLayerRoundTrips() throws {
        SwiftFixtureModels.registerCustomObjects()
        let layer = Scale(factor: 2.5, name: "scale")
        let saved = try serializeLayer(layer)
        #expect(saved.objectValue?["registered_name"] == "SwiftKerasTests>Scale")
        #expect(saved.objectValue?["class_name"] == "Scale")
        let rebuilt = try #require(try deserializeLayer(saved) as? Scale)
        #expect(rebuilt.factor == 2.5 && rebuilt.name == "scale")
    }

    @Test func unregisteredLayersAndClosuresNameTheLayer() throws {
        let error = #expect(throws: KerasError.self) { try serializeLayer(Unregistered(name: "mine")) }
        #expect(error?.description.hasPrefix("Layer \"mine\" of class Unregistered cannot be saved: register the class with registerKerasSerializable(Unregistered.self") == true)
        let lambda = #expect(throws: KerasError.self) { try serializeLayer(Lambda({ $0 }, name: "identity")) }
        #expect(lambda?.description.hasPrefix("Layer \"identity\" is a Lambda over a closure, which cannot be saved") == true)
        // Inside a wrapper too.
        #expect(throws: KerasError.self) { try serializeLayer(TimeDistributed(Lambda({ $0 }))) }
    }

    @Test func registeredLambdaRoundTrips() throws {
        let double = registerKerasSerializable(name: "double", package: "tests") { x in x * 2 }
        let saved = try serializeLayer(Lambda(double, name: "twice"))
        // Keras's own form for a registered function.
        #expect(saved.objectValue?["config"]?.objectValue?["function"]
            == ["module": "builtins", "class_name": "function", "config": "tests>double", "registered_name": "function"])
        let rebuilt = try deserializeLayer(saved)
        #expect(try rebuilt(Tensor([1, 2], shape: [1, 2])).scalars == [2, 4])
        // Keras's Python lambdas cannot be loaded.
        let python: ConfigValue = ["class_name": "Lambda", "config": ["name": "lambda", "function": ["class_name": "__lambda__", "config": ["code": "4wEAAA"]]]]
        let error = #expect(throws: KerasError.self) { try deserializeLayer(python) }
        #expect(error?.description.hasPrefix("layer 'lambda' (Lambda) holds Python code") == true)
    }
}

@Suite struct ModelConfigTests {
    static let models: ConfigObject = (try? SavingFixtures.json("model_configs.json").objectValue) ?? [:]

    /// Keras's config of each lecture model, read by modelFromJSON and written back by
    /// toJSON: the same JSON, key for key (compiled models with their compile config).
    @Test(arguments: models.keys)
    func kerasModelConfigRoundTrips(_ name: String) throws {
        let recorded = try #require(Self.models[name])
        let model = try modelFromJSON(recorded.json())
        let written = try ConfigValue.parse(json: model.toJSON())
        #expect(firstDifference(written, recorded) == nil, "\(name)")
        #expect(model.isBuilt)
        #expect((model.compiled != nil) == (recorded.objectValue?["compile_config"]?.objectValue?.isEmpty == false))
    }

    @Test func lectureModelsHaveKerasParameterCounts() throws {
        // Counts from Keras's summary() of the same models (summaries.json / functional.json).
        #expect(try modelFromJSON(try #require(Self.models["lenet"]).json()).countParams() == 664_086)
        #expect(try modelFromJSON(try #require(Self.models["imdb_lstm"]).json()).countParams() == 344_897)
        let seq2seq = try modelFromJSON(try #require(Self.models["seq2seq"]).json())
        #expect(seq2seq.countParams() == 3_997)
        #expect(seq2seq.layers.map(\.name) == ["input_layer", "input_layer_1", "lstm", "lstm_1", "dense"])
    }

    @Test func badModelJSONIsReported() throws {
        func message(_ json: String) -> String {
            do { _ = try modelFromJSON(json); return "no error" } catch { return "\(error)" }
        }
        #expect(message("{") == "model JSON: invalid JSON at byte 1: expected a string key")
        #expect(message(#"{"class_name": "Tree", "config": {}}"#)
            == "model JSON: unknown model class 'Tree' (only Sequential and functional models can be loaded)")
        #expect(message(#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Foo", "config": {}}]}}"#)
            .hasPrefix("model JSON: unknown layer class 'Foo'"))
        let cycle = #"{"class_name": "Functional", "config": {"name": "f", "layers": [{"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 1}, "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["d", 0, 0]}}], "kwargs": {}}]}], "input_layers": [], "output_layers": [["d", 0, 0]]}}"#
        #expect(message(cycle) == "model JSON: functional model 'f': the inputs of layer 'd' are never computed (the graph has a cycle or refers to missing nodes)")
    }
}
