#!/usr/bin/env swiftkeras run
// The sentiment lectures on the bundled IMDB reviews (25,000 to train, 25,000 to test, the
// 10,000 most frequent words, 200 tokens each), line for line with the Keras scripts:
//   Embedding(10000, 32) -> SimpleRNN(32) | LSTM(64) | GRU(64) | LSTM(64) stacked on LSTM(64)
//   -> Dense(1, sigmoid). The LSTM reaches at least 85% test accuracy within 3 epochs.
//
//   swiftkeras run Examples/Scripts/imdb_sentiment.swift --cell lstm [--epochs 3] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

enum Cell: String, ExpressibleByArgument, CaseIterable {
    case simpleRNN = "simple_rnn", lstm, gru, stacked
}

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imdb_sentiment.swift", abstract: "Recurrent sentiment classifiers on the IMDB reviews.")
    @Option(help: "simple_rnn, lstm, gru or stacked (two LSTMs).") var cell = Cell.lstm
    @Option(help: "Training epochs.") var epochs = 3
    @Option(name: .customLong("train-samples"), help: "Train on the first N reviews only (0: all 25,000).") var trainSamples = 0
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let maxFeatures = 10000  // number of words to consider as features
let maxlen = 200         // cut texts after this number of words
let batchSize = 64

var ((inputTrain, yTrain), (inputTest, yTest)) = try IMDB.loadData(numWords: maxFeatures)
if options.trainSamples > 0 {
    inputTrain = Array(inputTrain.prefix(options.trainSamples))
    yTrain = try yTrain.slice(rows: 0..<inputTrain.count)
}
print(inputTrain.count, "train sequences")
print(inputTest.count, "test sequences")
let xTrain = try padSequences(inputTrain, maxlen: maxlen)
let xTest = try padSequences(inputTest, maxlen: maxlen)
print("input_train shape:", xTrain.shape)
print("input_test shape:", xTest.shape)

let model = Sequential()
model.add(Embedding(maxFeatures, 32, inputLength: maxlen))
switch options.cell {
case .simpleRNN:
    model.add(SimpleRNN(32))
case .lstm:
    model.add(LSTM(64))
case .gru:
    model.add(GRU(64))
case .stacked:
    model.add(LSTM(64, returnSequences: true))
    model.add(LSTM(64))
}
model.add(Dense(1, activation: "sigmoid"))
model.summary()

model.compile(loss: "binary_crossentropy", optimizer: "adam", metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: options.epochs, validationData: (xTest, yTest))
let score = try model.evaluate(xTest, yTest, batchSize: 256, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "IMDB sentiment, \(options.cell.rawValue)")
    try history.plot(to: folder + "/history.png", title: "IMDB sentiment, \(options.cell.rawValue)")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
