// CNN+LSTM: a convolutional feature extractor applied to every image of a sequence
// (TimeDistributed), an LSTM over the features, and a classifier, trained on sequences of
// real MNIST digits to predict their sum.
import ArgumentParser
import SwiftKeras

@main
struct CNNLSTM: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Predict the sum of a sequence of MNIST digit images.")

    @Option(help: "Digits per sequence.") var length = 3
    @Option(name: .customLong("train-sequences")) var trainSequences = 20000
    @Option(name: .customLong("test-sequences")) var testSequences = 2000
    @Option(help: "Training epochs.") var epochs = 10
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 0.003
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 2
    @Option(help: "Random seed.") var seed: UInt64 = 11
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this held-out accuracy (0 disables).")
    var minAccuracy: Float = 0

    func run() throws {
        setRandomSeed(seed)
        let ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
        var rng = RandomGenerator(seed: seed)

        // Sequences of `length` random images; the label is the sum of their digits.
        func sequences(_ images: Tensor, _ labels: Tensor, count: Int) throws -> (Tensor, Tensor) {
            let picks = (0..<(count * length)).map { _ in Int(rng.next() % UInt64(images.shape[0])) }
            let x = try images.gather(rows: picks).reshaped([count, length, 28, 28, 1]) / 255
            let digits = labels.scalars
            let sums = (0..<count).map { s in (0..<length).reduce(Float(0)) { $0 + digits[picks[s * length + $1]] } }
            return (x, try Tensor(sums, shape: [count]))
        }
        let (xSeqTrain, ySeqTrain) = try sequences(xTrain, yTrain, count: trainSequences)
        let (xSeqTest, ySeqTest) = try sequences(xTest, yTest, count: testSequences)
        let classes = 9 * length + 1

        let inputs = Input(shape: [length, 28, 28, 1])
        var x = try TimeDistributed(Conv2D(16, (3, 3), activation: .relu))(inputs)
        x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
        x = try TimeDistributed(Conv2D(32, (3, 3), activation: .relu))(x)
        x = try TimeDistributed(MaxPooling2D((2, 2)))(x)
        x = try TimeDistributed(Flatten())(x)
        x = try LSTM(64)(x)
        let outputs = try Dense(classes, activation: .softmax)(x)
        let model = try Model(inputs: inputs, outputs: outputs)
        model.summary()
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: learningRate), metrics: [.accuracy])

        let start = ContinuousClock.now
        try model.fit(xSeqTrain, ySeqTrain, batchSize: batchSize, epochs: epochs, verbose: verbose,
                      validationData: (xSeqTest, ySeqTest))
        let seconds = (ContinuousClock.now - start).components.seconds
        let score = try model.evaluate(xSeqTest, ySeqTest, verbose: 0)
        print("Held-out accuracy of the predicted sum: \(score[1]) (loss \(score[0]))")
        print("Training time: \(seconds) s for \(epochs) epoch(s)")
        if minAccuracy > 0 && score[1] < minAccuracy {
            throw ValidationError("held-out accuracy \(score[1]) is below the required \(minAccuracy)")
        }
    }
}
