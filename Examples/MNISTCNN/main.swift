// The second lecture's CNN (two convolutions, pooling, Dropout) on the bundled MNIST,
// line for line with the Keras script.
import ArgumentParser
import SwiftKeras

@main
struct MNISTCNN: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the lecture's Dropout CNN on MNIST and print its test accuracy.")

    @Option(help: "Training epochs.") var epochs = 1
    @Option(name: .customLong("batch-size"), help: "Samples per gradient step.") var batchSize = 128
    @Option(help: "sgd, adam, rmsprop or adagrad.") var optimizer = "sgd"
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 1
    @Option(help: "Random seed for initializers, shuffling and dropout.") var seed: UInt64 = 42

    func run() throws {
        setRandomSeed(seed)
        let numClasses = 10
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

        model.compile(loss: .categoricalCrossentropy, optimizer: optimizer, metrics: ["accuracy"])
        try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: verbose,
                      validationData: (xTest, yTest))
        let score = try model.evaluate(xTest, yTest, verbose: 0)
        print("Test loss: \(score[0])")
        print("Test accuracy: \(score[1])")
    }
}
