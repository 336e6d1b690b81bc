#!/usr/bin/env swiftkeras run
// Lecture 10's LeNet on the bundled MNIST, line for line with the Keras script:
// two 5x5 convolutions with max pooling, then Dense 256, 84 and 10. At least 98.9% test
// accuracy in 5 epochs with Adam.
//
//   swiftkeras run Examples/Scripts/lenet.swift [--epochs 5] [--optimizer adam] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lenet.swift", abstract: "The lecture's LeNet on MNIST: train, then print the test accuracy.")
    @Option(help: "Training epochs.") var epochs = 5
    @Option(help: "sgd, adam, rmsprop or adagrad.") var optimizer = "adam"
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

var ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
xTrain = xTrain / 255.0
xTest = xTest / 255.0

let modelLeNet = Sequential()
modelLeNet.add(Conv2D(filters: 32, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu, inputShape: [28, 28, 1]))
modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
modelLeNet.add(Conv2D(filters: 48, kernelSize: (5, 5), strides: (1, 1), padding: .same, activation: .relu))
modelLeNet.add(MaxPool2D(poolSize: (2, 2), strides: (2, 2), padding: .valid))
modelLeNet.add(Flatten())
modelLeNet.add(Dense(256, activation: .relu))
modelLeNet.add(Dense(84, activation: .relu))
modelLeNet.add(Dense(10, activation: .softmax))
modelLeNet.summary()

modelLeNet.compile(loss: "sparse_categorical_crossentropy", optimizer: options.optimizer, metrics: ["accuracy"])
let history = try modelLeNet.fit(xTrain, yTrain, batchSize: 128, epochs: options.epochs, validationData: (xTest, yTest))
let score = try modelLeNet.evaluate(xTest, yTest, verbose: 0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "LeNet on MNIST")
    try history.plot(to: folder + "/history.png", title: "LeNet on MNIST")
    try plotModel(modelLeNet, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if score[1] < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(score[1]) is below the required \(options.minAccuracy)"))
}
