#!/usr/bin/env swiftkeras run
// Keras's "Text classification from scratch" (keras-io), on the bundled IMDB reviews as raw
// text: a TextVectorization layer learns its own 20,000-word vocabulary from the training
// reviews (lowercased, "<br />" and punctuation stripped), turns every review into 500 ids, and
// a 1-D convnet (Embedding 128, two Conv1D(128, 7, strides 3), GlobalMaxPooling1D, Dense 128)
// classifies them. 20% of the training reviews validate, as the example's validation_split.
// Reaches about 86% test accuracy after 3 epochs, as keras-io reports.
//
//   swiftkeras run Examples/Scripts/imdb_text_vectorization.swift [--epochs 3] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imdb_text_vectorization.swift",
        abstract: "A Conv1D sentiment classifier on raw IMDB text, with TextVectorization learning the vocabulary.")
    @Option(help: "Training epochs.") var epochs = 3
    @Option(name: .customLong("train-samples"), help: "Use the first N training reviews only (0: all 25,000).") var trainSamples = 0
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

// Raw reviews and labels (what text_dataset_from_directory gives from the aclImdb folders).
var ((rawTrain, yTrain), (rawTest, yTest)) = try IMDB.loadTextData()
if options.trainSamples > 0 {
    rawTrain = Array(rawTrain.prefix(options.trainSamples))
    yTrain = try yTrain.slice(rows: 0..<rawTrain.count)
}
print("Number of training reviews:", rawTrain.count, " test reviews:", rawTest.count)

// The example's custom_standardization: lowercase, drop the HTML line breaks, strip punctuation.
let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
let customStandardization: @Sendable (String) -> String = { text in
    String(text.lowercased().replacingOccurrences(of: "<br />", with: " ").filter { !punctuation.contains($0) })
}

let maxFeatures = 20000
let embeddingDim = 128
let sequenceLength = 500

let vectorizeLayer = try TextVectorization(
    maxTokens: maxFeatures, standardize: .custom(customStandardization), outputMode: .int,
    outputSequenceLength: sequenceLength)
let started = Date()
try vectorizeLayer.adapt(rawTrain)
let xTrain = try vectorizeLayer(rawTrain)
let xTest = try vectorizeLayer(rawTest)
print(String(format: "Vocabulary of %d tokens adapted and applied in %.1f s; x_train shape: %@",
             vectorizeLayer.vocabularySize(), Date().timeIntervalSince(started), "\(xTrain.shape)"))

let inputs = Input(shape: [nil])
var x = try Embedding(maxFeatures, embeddingDim)(inputs)
x = try Dropout(0.5)(x)
x = try Conv1D(128, 7, strides: 3, padding: .valid, activation: "relu")(x)
x = try Conv1D(128, 7, strides: 3, padding: .valid, activation: "relu")(x)
x = try GlobalMaxPooling1D()(x)
x = try Dense(128, activation: "relu")(x)
x = try Dropout(0.5)(x)
let predictions = try Dense(1, activation: "sigmoid", name: "predictions")(x)
let model = try Model(inputs: inputs, outputs: predictions)
model.summary()

model.compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: 32, epochs: options.epochs, validationSplit: 0.2)
let score = try model.evaluate(xTest, yTest, batchSize: 256, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "IMDB from raw text, TextVectorization + Conv1D")
    try history.plot(to: folder + "/history.png", title: "IMDB from raw text, TextVectorization + Conv1D")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
