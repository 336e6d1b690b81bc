#!/usr/bin/env swiftkeras run
// The lecture's CNN with Dropout on the bundled MNIST, line for line with the Keras script:
// two 3x3 convolutions, max pooling, Dropout, Dense 128, Dropout, softmax over one-hot labels.
//
//   swiftkeras run Examples/Scripts/mnist_cnn_dropout.swift [--epochs 3] [--optimizer sgd] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist_cnn_dropout.swift", abstract: "The lecture's Dropout CNN on MNIST: train, then print the test accuracy.")
    @Option(help: "Training epochs.") var epochs = 3
    @Option(help: "sgd, adam, rmsprop or adagrad.") var optimizer = "sgd"
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let batchSize = 128
let numClasses = 10
let epochs = options.epochs

var ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
xTrain = try xTrain.reshaped([xTrain.shape[0], 28, 28, 1]) / 255
xTest = try xTest.reshaped([xTest.shape[0], 28, 28, 1]) / 255
yTrain = try toCategorical(yTrain, numClasses: numClasses)
yTest = try toCategorical(yTest, numClasses: numClasses)

let model = Sequential()
model.add(Conv2D(32, (3, 3), activation: "relu", inputShape: [28, 28, 1]))
model.add(Conv2D(64, (3, 3), activation: "relu"))
model.add(MaxPooling2D((2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation: "relu"))
model.add(Dropout(0.25))
model.add(Dense(numClasses, activation: "softmax"))
model.summary()

model.compile(loss: .categoricalCrossentropy, optimizer: options.optimizer, metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: 1, validationData: (xTest, yTest))
let score = try model.evaluate(xTest, yTest, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "CNN with Dropout on MNIST")
    try history.plot(to: folder + "/history.png", title: "CNN with Dropout on MNIST")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
