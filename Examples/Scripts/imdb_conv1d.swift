#!/usr/bin/env swiftkeras run
// A 1-D convolutional text classifier on the bundled IMDB reviews (the 10,000 most frequent
// words, 200 tokens each), as Keras's imdb_cnn example writes it: Embedding, Dropout, Conv1D
// with 250 filters of width 3, GlobalMaxPooling1D, Dense 250, Dropout, ReLU, Dense(1, sigmoid).
// Reaches at least 86% test accuracy within 3 epochs.
//
//   swiftkeras run Examples/Scripts/imdb_conv1d.swift [--epochs 3] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imdb_conv1d.swift", abstract: "A Conv1D + GlobalMaxPooling1D sentiment classifier on the IMDB reviews.")
    @Option(help: "Training epochs.") var epochs = 3
    @Option(name: .customLong("train-samples"), help: "Train on the first N reviews only (0: all 25,000).") var trainSamples = 0
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let maxFeatures = 10000
let maxlen = 200
let embeddingDims = 50
let filters = 250
let kernelSize = 3
let hiddenDims = 250

var ((inputTrain, yTrain), (inputTest, yTest)) = try IMDB.loadData(numWords: maxFeatures)
if options.trainSamples > 0 {
    inputTrain = Array(inputTrain.prefix(options.trainSamples))
    yTrain = try yTrain.slice(rows: 0..<inputTrain.count)
}
let xTrain = try padSequences(inputTrain, maxlen: maxlen)
let xTest = try padSequences(inputTest, maxlen: maxlen)
print("x_train shape:", xTrain.shape)
print("x_test shape:", xTest.shape)

let model = Sequential()
model.add(Embedding(maxFeatures, embeddingDims, inputLength: maxlen))
model.add(Dropout(0.2))
model.add(Conv1D(filters, kernelSize, strides: 1, padding: .valid, activation: "relu"))
model.add(GlobalMaxPooling1D())
model.add(Dense(hiddenDims))
model.add(Dropout(0.2))
model.add(ActivationLayer("relu"))
model.add(Dense(1, activation: "sigmoid"))
model.summary()

model.compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: 32, epochs: options.epochs, validationData: (xTest, yTest))
let score = try model.evaluate(xTest, yTest, batchSize: 256, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "IMDB sentiment, Conv1D")
    try history.plot(to: folder + "/history.png", title: "IMDB sentiment, Conv1D")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
