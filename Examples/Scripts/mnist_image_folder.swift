#!/usr/bin/env swiftkeras run
// LeNet trained from a folder of image files, as a Keras user with their own pictures would:
// the bundled MNIST is first written out as PNG (or JPEG) files in one subfolder per class
// (train/0/00001.png, ..., test/9/...), then read back with imageDatasetFromDirectory (Keras's
// image_dataset_from_directory: class names from the subfolders, grayscale, shuffled with a
// seed) and trained with a Rescaling layer in front. With --compare the same LeNet, with the
// same seed, is also trained on the in-memory arrays, and both test accuracies are printed.
//
//   swiftkeras run Examples/Scripts/mnist_image_folder.swift [--folder DIR] [--format png|jpg]
//                  [--epochs 1] [--train-samples N] [--compare]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mnist_image_folder.swift",
        abstract: "Writes MNIST as image files in class folders, trains LeNet from them, prints the test accuracy.")
    @Option(help: "Folder for the images (default: a temporary folder, removed afterwards). Reused when it already holds train/ and test/.")
    var folder: String?
    @Option(help: "png (lossless) or jpg.") var format = "png"
    @Option(help: "Training epochs.") var epochs = 1
    @Option(name: .customLong("train-samples"), help: "Write and train on the first N training images only (0: all 60,000).")
    var trainSamples = 0
    @Flag(help: "Also train the same LeNet on the in-memory arrays, with the same seed, and print both accuracies.")
    var compare = false
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
guard ["png", "jpg"].contains(options.format) else {
    Options.exit(withError: ValidationError("--format must be png or jpg, received \(options.format)"))
}

var ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
if options.trainSamples > 0 {
    xTrain = try xTrain.slice(rows: 0..<options.trainSamples)
    yTrain = try yTrain.slice(rows: 0..<options.trainSamples)
}

let folder = options.folder ?? NSTemporaryDirectory() + "mnist_images_\(getpid())"
let files = FileManager.default

/// Writes each image as DIR/<label>/<index>.<format>, pixel values unchanged (0...255).
func writeImages(_ images: Tensor, _ labels: Tensor, to directory: String) throws {
    for digit in 0..<10 {
        try files.createDirectory(atPath: "\(directory)/\(digit)", withIntermediateDirectories: true)
    }
    let digits = labels.scalars
    for i in 0..<images.shape[0] {
        let image = try images.slice(rows: i..<(i + 1)).reshaped([28, 28, 1])
        try saveImage(image, to: String(format: "%@/%d/%05d.%@", directory, Int(digits[i]), i, options.format), scale: false)
    }
}

if !files.fileExists(atPath: folder + "/test") {
    let start = Date()
    try writeImages(xTrain, yTrain, to: folder + "/train")
    try writeImages(xTest, yTest, to: folder + "/test")
    print(String(format: "Wrote %d %@ files into %@ in %.1f s", xTrain.shape[0] + xTest.shape[0], options.format, folder,
                 Date().timeIntervalSince(start)))
}

func lenet() -> Sequential {
    Sequential([
        Rescaling(scale: 1.0 / 255, inputShape: [28, 28, 1]),
        Conv2D(32, (5, 5), padding: .same, activation: "relu"),
        MaxPooling2D((2, 2)),
        Conv2D(48, (5, 5), padding: .same, activation: "relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(256, activation: "relu"),
        Dense(84, activation: "relu"),
        Dense(10, activation: "softmax"),
    ])
}

setRandomSeed(options.seed)
let train = try imageDatasetFromDirectory(folder + "/train", colorMode: .grayscale, batchSize: 128, imageSize: (28, 28),
                                          seed: options.seed)
let test = try imageDatasetFromDirectory(folder + "/test", colorMode: .grayscale, batchSize: 256, imageSize: (28, 28),
                                         shuffle: false)
print("classes:", train.classNames ?? [])
let model = lenet()
model.compile(loss: "sparse_categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])
var start = Date()
try model.fit(train, epochs: options.epochs, verbose: 2)
let fromFiles = try model.evaluate(test, verbose: 0)[1]
print(String(format: "From %@ files: test accuracy %.4f (training %.1f s)", options.format, fromFiles, Date().timeIntervalSince(start)))

if options.compare {
    setRandomSeed(options.seed)
    let inMemory = lenet()
    inMemory.compile(loss: "sparse_categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])
    start = Date()
    try inMemory.fit(try xTrain.reshaped([xTrain.shape[0], 28, 28, 1]), yTrain, batchSize: 128, epochs: options.epochs, verbose: 2)
    let accuracy = try inMemory.evaluate(try xTest.reshaped([xTest.shape[0], 28, 28, 1]), yTest, batchSize: 256, verbose: 0)[1]
    print(String(format: "From the arrays in memory: test accuracy %.4f (training %.1f s)", accuracy, Date().timeIntervalSince(start)))
}
if options.folder == nil { try? files.removeItem(atPath: folder) }
if fromFiles < options.minAccuracy {
    Options.exit(withError: ValidationError("test accuracy \(fromFiles) is below the required \(options.minAccuracy)"))
}
