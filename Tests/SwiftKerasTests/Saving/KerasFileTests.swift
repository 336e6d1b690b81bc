import Foundation
import Testing
@testable import SwiftKeras

/// The inputs of a fixture case: one array or a list of them.
func fixtureArrays(_ value: ConfigValue?) throws -> [Tensor] {
    let value = try #require(value)
    if let items = value.arrayValue { return try items.map(fixtureTensor) }
    return [try fixtureTensor(value)]
}

func fixtureTensor(_ value: ConfigValue) throws -> Tensor {
    let object = try #require(value.objectValue)
    let shape = try #require(object["shape"]?.arrayValue).compactMap(\.intValue)
    let data = try #require(object["data"]?.arrayValue).map { Float($0.doubleValue ?? .nan) }
    return try Tensor(data, shape: shape)
}

/// The datasets of a .keras file's weights (path -> shape and type), as the fixtures record them.
func weightsLayout(ofArchive path: String) throws -> ConfigValue {
    let archive = try KerasArchive(path: path)
    return try weightsLayout(image: try archive.entry("model.weights.h5"))
}

func weightsLayout(image: [UInt8]) throws -> ConfigValue {
    let file = try HDF5File.open(image: image, label: "model.weights.h5")
    defer { file.close() }
    let datasets = try file.datasets()
    return .object(ConfigObject(datasets.keys.sorted().map { key in
        (key, [ConfigValue.shape(datasets[key]!.shape), .string(datasets[key]!.type)])
    }))
}

/// .keras files written by real Keras 3.15.1 (Scripts/keras_fixtures/saving.py), loaded here.
@Suite struct KerasFileTests {
    static let cases: ConfigObject = (try? SavingFixtures.json("keras_files.json").objectValue) ?? [:]

    static func path(_ name: String) -> String { SavingFixtures.folder.appendingPathComponent("keras/\(name).keras").path }

    /// Loads each file, predicts Keras's predictions, writes Keras's layout back, and takes
    /// Keras's next training step from the restored optimizer state.
    @Test(arguments: cases.keys)
    func kerasFileLoads(_ name: String) throws {
        let fixture = try #require(Self.cases[name]?.objectValue)
        let model = try loadModel(Self.path(name), restoreRandomState: false)
        let inputs = try fixtureArrays(fixture["inputs"])
        let predicted = try model.predict(inputs)
        for (actual, expected) in zip(predicted, try fixtureArrays(fixture["predictions"])) {
            expectClose(actual, expected, tolerance: 1e-5, "\(name) predictions")
        }
        // What SwiftKeras would write for this model is what Keras wrote.
        let layout = try weightsLayout(image: try model.weightsImage(label: "model.weights.h5"))
        let recorded = try #require(fixture["layout"])
        #expect(firstDifference(layout, recorded) == nil, "\(name) layout")
        if let step = fixture["step"]?.objectValue {
            let results = try model.trainOnBatch(try fixtureArrays(step["x"]), try fixtureArrays(step["y"]))
            #expect(Swift.abs(results[0] - Float(step["loss"]?.doubleValue ?? .nan)) <= 1e-4 * Swift.max(1, Swift.abs(results[0])),
                    "\(name) loss \(results[0])")
            for (actual, expected) in zip(try model.predict(inputs), try fixtureArrays(step["predictions_after"])) {
                expectClose(actual, expected, tolerance: 1e-4, "\(name) predictions after a step")
            }
        }
    }
}

/// summary() of each Keras-written .keras file, loaded with its optimizer state, is the text
/// Keras's summary() prints for it (keras_summaries.json), "Optimizer params" included.
@Suite struct KerasFileSummaryTests {
    static let summaries: ConfigObject = (try? SavingFixtures.json("keras_summaries.json").objectValue) ?? [:]

    @Test(arguments: summaries.keys)
    func summaryMatchesKeras(_ file: String) throws {
        let expected = try #require(Self.summaries[file]?.stringValue)
        let model = try loadModel(SavingFixtures.folder.appendingPathComponent("keras/\(file)").path, restoreRandomState: false)
        #expect(model.summaryText(lineLength: 88) == expected)
    }

    @Test func allFixtureFilesHaveASummary() {
        #expect(Self.summaries.count >= 10)
    }
}

/// .keras files SwiftKeras wrote (Fixtures/saving/swift, see SwiftFixtureModels) and what
/// real Keras read from them.
@Suite struct SwiftFileTests {
    static let cases: ConfigObject = (try? SavingFixtures.json("swift_files.json").objectValue) ?? [:]

    static func path(_ name: String) -> String { SavingFixtures.folder.appendingPathComponent("swift/\(name).keras").path }

    @Test func everySwiftFileWasReadByKeras() {
        #expect(Set(Self.cases.keys) == Set(SwiftFixtureModels.builders.map(\.name)))
    }

    /// The committed file gives Keras's predictions here too, and Keras's next step.
    @Test(arguments: cases.keys)
    func swiftFileMatchesKeras(_ name: String) throws {
        SwiftFixtureModels.registerCustomObjects()
        let fixture = try #require(Self.cases[name]?.objectValue)
        let model = try loadModel(Self.path(name), restoreRandomState: false)
        let inputs = try fixtureArrays(fixture["inputs"])
        for (actual, expected) in zip(try model.predict(inputs), try fixtureArrays(fixture["predictions"])) {
            expectClose(actual, expected, tolerance: 1e-5, "\(name) predictions")
        }
        #expect((model.compiled != nil) == (fixture["compiled"] == true))
        #expect(fixture["iterations"]?.intValue == model.compiled.map { $0.optimizer.iterations })
        if let step = fixture["step"]?.objectValue {
            try model.trainOnBatch(try fixtureArrays(step["x"]), try fixtureArrays(step["y"]))
            for (actual, expected) in zip(try model.predict(inputs), try fixtureArrays(step["predictions_after"])) {
                expectClose(actual, expected, tolerance: 1e-4, "\(name) predictions after a step")
            }
        }
    }

    /// The file SwiftKeras writes today has the layout and config Keras read.
    @Test(arguments: cases.keys)
    func todaysFileHasTheLayoutKerasRead(_ name: String) throws {
        SwiftFixtureModels.registerCustomObjects()
        let fixture = try #require(Self.cases[name]?.objectValue)
        let model = try SwiftFixtureModels.build(name)
        let layout = try weightsLayout(image: try model.weightsImage(label: "model.weights.h5"))
        #expect(firstDifference(layout, try #require(fixture["layout"])) == nil, "\(name) layout")
        let committed = try KerasArchive(path: Self.path(name))
        let config = try ConfigValue.parse(json: try committed.entry("config.json"))
        let today = try LayerNames.withFreshNames { try serializeModel(model, includeCompile: true) }
        #expect(firstDifference(today, config) == nil, "\(name) config")
    }
}
