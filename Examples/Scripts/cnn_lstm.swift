#!/usr/bin/env swiftkeras run
// CNN+LSTM: a small convolutional network applied to every image of a sequence
// (TimeDistributed), an LSTM over the image features, and a classifier, trained on
// sequences of real MNIST digits to predict their sum.
//
//   swiftkeras run Examples/Scripts/cnn_lstm.swift [--epochs 10] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn_lstm.swift", abstract: "Predict the sum of a sequence of MNIST digit images.")
    @Option(help: "Digits per sequence.") var length = 3
    @Option(name: .customLong("train-sequences")) var trainSequences = 20000
    @Option(name: .customLong("test-sequences")) var testSequences = 2000
    @Option(help: "Training epochs.") var epochs = 10
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this held-out accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 11
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)
let length = options.length

let ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
var rng = RandomGenerator(seed: options.seed)

// Sequences of `length` random images; the label is the sum of their digits.
func sequences(_ images: Tensor, _ labels: Tensor, count: Int) throws -> (Tensor, Tensor) {
    let picks = (0..<(count * length)).map { _ in Int(rng.next() % UInt64(images.shape[0])) }
    let x = try images.gather(rows: picks).reshaped([count, length, 28, 28, 1]) / 255
    let digits = labels.scalars
    let sums = (0..<count).map { s in (0..<length).reduce(Float(0)) { $0 + digits[picks[s * length + $1]] } }
    return (x, try Tensor(sums, shape: [count]))
}
let (xSeqTrain, ySeqTrain) = try sequences(xTrain, yTrain, count: options.trainSequences)
let (xSeqTest, ySeqTest) = try sequences(xTest, yTest, count: options.testSequences)
let classes = 9 * length + 1

let inputs = Input(shape: [length, 28, 28, 1])
var x = try TimeDistributed(Conv2D(16, (3, 3), activation: "relu"))(inputs)
x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
x = try TimeDistributed(Conv2D(32, (3, 3), activation: "relu"))(x)
x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
x = try TimeDistributed(Flatten())(x)
x = try LSTM(64)(x)
let outputs = try Dense(classes, activation: "softmax")(x)
let model = try Model(inputs: inputs, outputs: outputs)
model.summary()
model.compile(loss: "sparse_categorical_crossentropy", optimizer: Adam(learningRate: 0.003), metrics: ["accuracy"])
let history = try model.fit(xSeqTrain, ySeqTrain, batchSize: 64, epochs: options.epochs, verbose: 2,
                            validationData: (xSeqTest, ySeqTest))
let score = try model.evaluate(xSeqTest, ySeqTest, verbose: 0)
print("Held-out accuracy of the predicted sum:", score[1], "(loss \(score[0]))")

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "CNN+LSTM: sums of MNIST digit sequences")
    try history.plot(to: folder + "/history.png", title: "CNN+LSTM: sums of MNIST digit sequences")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("held-out accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
