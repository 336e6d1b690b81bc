#!/usr/bin/env swiftkeras run
// The lecture's many-to-one recurrent classifier on short review sentences (the bundled
// sentence-polarity data, 4,000 sentences): a Tokenizer, padded sequences, an Embedding that
// masks the padding, one recurrent layer with input Dropout, and a sigmoid. Then it
// classifies sentences of your own (the script's remaining arguments).
//
//   swiftkeras run Examples/Scripts/sentence_polarity.swift [--cell lstm] "The movie is very interesting."
import ArgumentParser
import Foundation
import SwiftKeras

enum Cell: String, ExpressibleByArgument, CaseIterable {
    case simpleRNN = "simple_rnn", lstm, gru
}

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentence_polarity.swift", abstract: "A recurrent classifier of review sentences; then your own sentences.")
    @Option(help: "simple_rnn, lstm or gru.") var cell = Cell.simpleRNN
    @Option(help: "Training epochs.") var epochs = 4
    @Option(help: "Words kept by the tokenizer.") var vocabulary = 2000
    @Option(help: "Embedding width.") var embedding = 16
    @Option(help: "Recurrent units.") var units = 16
    @Option(help: "Dropout on the recurrent layer's inputs.") var dropout: Float = 0.5
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 0.002
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Argument(help: "Sentences to classify after training.") var sentences = ["The movie is very interesting.", "A dull, tedious mess."]
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let maxlen = 40
let ((trainTexts, yTrain), (testTexts, yTest)) = try SentencePolarity.loadData()
let tokenizer = try Tokenizer(numWords: options.vocabulary, oovToken: "<OOV>")
tokenizer.fitOnTexts(trainTexts)
let xTrain = try padSequences(tokenizer.textsToSequences(trainTexts), maxlen: maxlen)
let xTest = try padSequences(tokenizer.textsToSequences(testTexts), maxlen: maxlen)

// Many-to-one: the words of a sentence in, one sentiment out.
let model = Sequential()
model.add(Embedding(options.vocabulary, options.embedding, maskZero: true, inputLength: maxlen))
switch options.cell {
case .simpleRNN: model.add(SimpleRNN(options.units, dropout: options.dropout))
case .lstm: model.add(LSTM(options.units, dropout: options.dropout))
case .gru: model.add(GRU(options.units, dropout: options.dropout))
}
model.add(Dense(1, activation: .sigmoid))
model.summary()
model.compile(loss: .binaryCrossentropy, optimizer: Adam(learningRate: options.learningRate), metrics: [.accuracy])
let history = try model.fit(xTrain, yTrain, batchSize: 32, epochs: options.epochs, verbose: 2, validationData: (xTest, yTest))
let score = try model.evaluate(xTest, yTest, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if !options.sentences.isEmpty {
    let probabilities = try model.predict(try padSequences(tokenizer.textsToSequences(options.sentences), maxlen: maxlen))
    for (sentence, p) in zip(options.sentences, probabilities.scalars) {
        print("\(p >= 0.5 ? "positive" : "negative") (\(p)): \(sentence)")
    }
}
if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Sentence polarity, \(options.cell.rawValue)")
    try history.plot(to: folder + "/history.png", title: "Sentence polarity, \(options.cell.rawValue)")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
