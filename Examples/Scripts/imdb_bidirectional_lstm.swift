#!/usr/bin/env swiftkeras run
// keras-io's "Bidirectional LSTM on IMDB" (keras.io/examples/nlp/bidirectional_lstm_imdb),
// line for line: the 20,000 most frequent words, reviews cut to 200 tokens, an Embedding of
// 128, two Bidirectional LSTM(64) layers and a sigmoid; 2 epochs at batch size 32.
//
//   swiftkeras run Examples/Scripts/imdb_bidirectional_lstm.swift [--epochs 2] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imdb_bidirectional_lstm.swift", abstract: "keras-io's bidirectional LSTM on the IMDB reviews.")
    @Option(help: "Training epochs.") var epochs = 2
    @Option(name: .customLong("train-samples"), help: "Train on the first N reviews only (0: all 25,000).") var trainSamples = 0
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this validation accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let maxFeatures = 20000  // Only consider the top 20k words
let maxlen = 200  // Only consider the first 200 words of each movie review

// Input for variable-length sequences of integers
let inputs = Input(shape: [nil])
// Embed each integer in a 128-dimensional vector
var x = try Embedding(maxFeatures, 128)(inputs)
// Add 2 bidirectional LSTMs
x = try Bidirectional(LSTM(64, returnSequences: true))(x)
x = try Bidirectional(LSTM(64))(x)
// Add a classifier
let outputs = try Dense(1, activation: "sigmoid")(x)
let model = try Model(inputs: inputs, outputs: outputs)
model.summary()

var ((xTrainSequences, yTrain), (xValSequences, yVal)) = try IMDB.loadData(numWords: maxFeatures)
if options.trainSamples > 0 {
    xTrainSequences = Array(xTrainSequences.prefix(options.trainSamples))
    yTrain = try yTrain.slice(rows: 0..<xTrainSequences.count)
}
print(xTrainSequences.count, "Training sequences")
print(xValSequences.count, "Validation sequences")
// Use pad_sequences to standardize sequence length:
// this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200 words.
let xTrain = try padSequences(xTrainSequences, maxlen: maxlen)
let xVal = try padSequences(xValSequences, maxlen: maxlen)

model.compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: 32, epochs: options.epochs, validationData: (xVal, yVal))
let accuracy = history.history["val_accuracy"]!.last!
print("Validation accuracy:", accuracy)

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Bidirectional LSTM on IMDB")
    try history.plot(to: folder + "/history.png", title: "Bidirectional LSTM on IMDB")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if accuracy < options.minAccuracy {
    Options.exit(withError: ValidationError("validation accuracy \(accuracy) is below the required \(options.minAccuracy)"))
}
