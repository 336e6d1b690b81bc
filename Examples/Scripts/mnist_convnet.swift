#!/usr/bin/env swiftkeras run
// keras-io's "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet), line for line:
// two convolutions with pooling, Dropout, softmax; 10% of the training data held out for
// validation. Keras reaches about 99% test accuracy in 15 epochs.
//
//   swiftkeras run Examples/Scripts/mnist_convnet.swift [--epochs 15] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist_convnet.swift", abstract: "keras-io's simple MNIST convnet: train, then print the test accuracy.")
    @Option(help: "Training epochs.") var epochs = 15
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 1337
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

// Model / data parameters
let numClasses = 10
let inputShape = [28, 28, 1]

// Load the data and split it between train and test sets
var ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()

// Scale images to the [0, 1] range
xTrain = xTrain / 255
xTest = xTest / 255
// Make sure images have shape (28, 28, 1)
xTrain = try xTrain.reshaped(xTrain.shape + [1])
xTest = try xTest.reshaped(xTest.shape + [1])
print("x_train shape:", xTrain.shape)
print(xTrain.shape[0], "train samples")
print(xTest.shape[0], "test samples")

// convert class vectors to binary class matrices
yTrain = try toCategorical(yTrain, numClasses: numClasses)
yTest = try toCategorical(yTest, numClasses: numClasses)

let model = Sequential([
    Conv2D(32, (3, 3), activation: "relu", inputShape: inputShape),
    MaxPooling2D((2, 2)),
    Conv2D(64, (3, 3), activation: "relu"),
    MaxPooling2D((2, 2)),
    Flatten(),
    Dropout(0.5),
    Dense(numClasses, activation: "softmax"),
])
model.summary()

let batchSize = 128
let epochs = options.epochs
model.compile(loss: "categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])
let history = try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, validationSplit: 0.1)

let score = try model.evaluate(xTest, yTest, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Simple MNIST convnet")
    try history.plot(to: folder + "/history.png", title: "Simple MNIST convnet")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
