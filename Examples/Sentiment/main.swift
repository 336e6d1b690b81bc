// The sentiment lectures: recurrent classifiers on real reviews.
//   imdb:     Embedding(10000, 32) -> LSTM(64) / GRU(64) / SimpleRNN(32) / stacked LSTMs -> Dense(1, sigmoid)
//             on the bundled IMDB reviews, 200 tokens each;
//   transformer: the Keras tutorial "Text classification with Transformer": token and position
//             embeddings, a Transformer block (MultiHeadAttention, LayerNormalization, a
//             feed-forward network, dropout), global average pooling, on IMDB (20000 words, 200 tokens);
//   polarity: the lecture's many-to-one SimpleRNN on short review sentences, which then
//             classifies sentences given on the command line ("The movie is very interesting.").
import ArgumentParser
import SwiftKeras

@main
struct Sentiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recurrent sentiment classifiers on the bundled reviews.",
        subcommands: [IMDBReviews.self, TransformerReviews.self, Polarity.self], defaultSubcommand: Polarity.self)
}

enum Cell: String, ExpressibleByArgument, CaseIterable {
    case lstm, gru
    case simpleRNN = "simple_rnn"
    case stacked
}

struct IMDBReviews: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "imdb", abstract: "Classify IMDB reviews (25,000 train, 25,000 test).")
    @Option(help: "lstm, gru, simple_rnn or stacked (two LSTMs).") var cell = Cell.lstm
    @Option(help: "Training epochs.") var epochs = 3
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 1
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("train-samples"), help: "Use only the first N training reviews (0: all).") var trainSamples = 0
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy (0 disables).")
    var minAccuracy: Float = 0

    func run() throws {
        setRandomSeed(seed)
        let maxFeatures = 10000, maxlen = 200
        let ((trainSequences, yTrainAll), (testSequences, yTest)) = try IMDB.loadData(numWords: maxFeatures)
        let count = trainSamples > 0 ? min(trainSamples, trainSequences.count) : trainSequences.count
        let xTrain = try padSequences(Array(trainSequences.prefix(count)), maxlen: maxlen)
        let yTrain = try yTrainAll.slice(rows: 0..<count)
        let xTest = try padSequences(testSequences, maxlen: maxlen)
        print("\(xTrain.shape[0]) train and \(xTest.shape[0]) test sequences of \(maxlen) tokens")

        let model = Sequential()
        model.add(Embedding(maxFeatures, 32, inputLength: maxlen))
        switch cell {
        case .lstm: model.add(LSTM(64))
        case .gru: model.add(GRU(64))
        case .simpleRNN: model.add(SimpleRNN(32))
        case .stacked:
            model.add(LSTM(64, returnSequences: true))
            model.add(LSTM(64))
        }
        model.add(Dense(1, activation: .sigmoid))
        model.summary()
        model.compile(loss: .binaryCrossentropy, optimizer: "adam", metrics: [.accuracy])

        let start = ContinuousClock.now
        try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: verbose, validationData: (xTest, yTest))
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        let score = try model.evaluate(xTest, yTest, batchSize: 256, verbose: 0)
        print("Test loss: \(score[0])")
        print("Test accuracy: \(score[1])")
        print("Training time: \(Int(seconds)) s for \(epochs) epoch(s), \(Int(seconds) / max(epochs, 1)) s per epoch")
        if minAccuracy > 0 && score[1] < minAccuracy {
            throw ValidationError("test accuracy \(score[1]) is below the required \(minAccuracy)")
        }
    }
}

/// The tutorial's embedding of tokens and of their positions, added.
final class TokenAndPositionEmbedding: Layer {
    let tokenEmbedding: Embedding
    let positionEmbedding: Embedding

    init(maxLength: Int, vocabularySize: Int, embedDim: Int) {
        tokenEmbedding = Embedding(vocabularySize, embedDim)
        positionEmbedding = Embedding(maxLength, embedDim)
        super.init(name: nil)
    }

    override var weights: [Variable] { tokenEmbedding.weights + positionEmbedding.weights }
    override var sublayers: [Layer] { [tokenEmbedding, positionEmbedding] }

    override func build(inputShape: [Int]) throws {
        try tokenEmbedding.buildIfNeeded(inputShape: inputShape)
        try positionEmbedding.buildIfNeeded(inputShape: [inputShape[0]])
    }

    override func outputShape(for inputShape: [Int]) throws -> [Int] { try tokenEmbedding.outputShape(for: inputShape) }

    override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let steps = input.shape[1]
        let positions = try Tensor((0..<steps).map(Float.init), shape: [1, steps])
        return try tokenEmbedding(input) + positionEmbedding(positions)
    }
}

/// The tutorial's Transformer block: self-attention, then a feed-forward network, each
/// followed by dropout, a residual connection and layer normalization.
final class TransformerBlock: Layer {
    let attention: MultiHeadAttention
    let feedForward: [Dense]
    let norms = [LayerNormalization(epsilon: 1e-6), LayerNormalization(epsilon: 1e-6)]
    let dropouts: [Dropout]

    init(embedDim: Int, heads: Int, feedForwardDim: Int, rate: Float = 0.1) {
        attention = MultiHeadAttention(numHeads: heads, keyDim: embedDim)
        feedForward = [Dense(feedForwardDim, activation: .relu), Dense(embedDim)]
        dropouts = [Dropout(rate), Dropout(rate)]
        super.init(name: nil)
    }

    override var sublayers: [Layer] { [attention] + feedForward + norms + dropouts }
    override var weights: [Variable] { sublayers.flatMap(\.weights) }

    override func build(inputShape: [Int]) throws {
        try attention.buildIfNeeded(queryShape: inputShape, valueShape: inputShape, keyShape: nil)
        try feedForward[0].buildIfNeeded(inputShape: inputShape)
        try feedForward[1].buildIfNeeded(inputShape: try feedForward[0].outputShape(for: inputShape))
        for norm in norms { try norm.buildIfNeeded(inputShape: inputShape) }
    }

    override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let attended = try dropouts[0](try attention(input, input, training: training), training: training)
        let out1 = try norms[0](try input + attended)
        let ffn = try dropouts[1](try feedForward[1](try feedForward[0](out1)), training: training)
        return try norms[1](try out1 + ffn)
    }
}

struct TransformerReviews: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer", abstract: "The Keras Transformer text-classification tutorial on IMDB reviews.")
    @Option(help: "Training epochs.") var epochs = 2
    @Option(name: .customLong("batch-size")) var batchSize = 32
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 1
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("train-samples"), help: "Use only the first N training reviews (0: all).") var trainSamples = 0
    @Option(name: .customLong("test-samples"), help: "Use only the first N test reviews (0: all).") var testSamples = 0
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy (0 disables).")
    var minAccuracy: Float = 0

    func run() throws {
        setRandomSeed(seed)
        let vocabularySize = 20000, maxlen = 200, embedDim = 32
        let ((trainSequences, yTrainAll), (testSequences, yTestAll)) = try IMDB.loadData(numWords: vocabularySize)
        let count = trainSamples > 0 ? min(trainSamples, trainSequences.count) : trainSequences.count
        let xTrain = try padSequences(Array(trainSequences.prefix(count)), maxlen: maxlen)
        let yTrain = try yTrainAll.slice(rows: 0..<count)
        let testCount = testSamples > 0 ? min(testSamples, testSequences.count) : testSequences.count
        let xTest = try padSequences(Array(testSequences.prefix(testCount)), maxlen: maxlen)
        let yTest = try yTestAll.slice(rows: 0..<testCount)

        let inputs = Input(shape: [maxlen])
        var x = try TokenAndPositionEmbedding(maxLength: maxlen, vocabularySize: vocabularySize, embedDim: embedDim)(inputs)
        x = try TransformerBlock(embedDim: embedDim, heads: 2, feedForwardDim: 32)(x)
        x = try Dropout(0.1)(try GlobalAveragePooling1D()(x))
        x = try Dropout(0.1)(try Dense(20, activation: .relu)(x))
        let model = try Model(inputs: inputs, outputs: try Dense(2, activation: .softmax)(x))
        model.summary()
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: "adam", metrics: [.accuracy])
        let start = ContinuousClock.now
        try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: verbose, validationData: (xTest, yTest))
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        let score = try model.evaluate(xTest, yTest, batchSize: 256, verbose: 0)
        print("Test loss: \(score[0])")
        print("Test accuracy: \(score[1])")
        print("Training time: \(Int(seconds)) s for \(epochs) epoch(s)")
        if minAccuracy > 0 && score[1] < minAccuracy {
            throw ValidationError("test accuracy \(score[1]) is below the required \(minAccuracy)")
        }
    }
}

struct Polarity: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A SimpleRNN on 4,000 review sentences; then classify your own.")
    @Option(help: "Training epochs.") var epochs = 4
    @Option(name: .customLong("batch-size")) var batchSize = 32
    @Option(help: "Words kept by the tokenizer.") var vocabulary = 2000
    @Option(help: "Embedding width.") var embedding = 16
    @Option(help: "Recurrent units.") var units = 16
    @Option(help: "lstm, gru or simple_rnn.") var cell = Cell.simpleRNN
    @Option(help: "Dropout on the recurrent layer's inputs.") var dropout: Float = 0.5
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 0.002
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 2
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this test accuracy (0 disables).")
    var minAccuracy: Float = 0
    @Argument(help: "Sentences to classify after training.") var sentences: [String] = ["The movie is very interesting.", "A dull, tedious mess."]

    func run() throws {
        setRandomSeed(seed)
        let vocabularySize = vocabulary, maxlen = 40
        let ((trainTexts, yTrain), (testTexts, yTest)) = try SentencePolarity.loadData()
        let tokenizer = try Tokenizer(numWords: vocabularySize, oovToken: "<OOV>")
        tokenizer.fitOnTexts(trainTexts)
        let xTrain = try padSequences(tokenizer.textsToSequences(trainTexts), maxlen: maxlen)
        let xTest = try padSequences(tokenizer.textsToSequences(testTexts), maxlen: maxlen)

        // Many-to-one: the words of a sentence in, one sentiment out.
        let model = Sequential()
        model.add(Embedding(vocabularySize, embedding, maskZero: true, inputLength: maxlen))
        switch cell {
        case .lstm: model.add(LSTM(units, dropout: dropout))
        case .gru: model.add(GRU(units, dropout: dropout))
        case .simpleRNN, .stacked: model.add(SimpleRNN(units, dropout: dropout))
        }
        model.add(Dense(1, activation: .sigmoid))
        model.summary()
        model.compile(loss: .binaryCrossentropy, optimizer: Adam(learningRate: learningRate), metrics: [.accuracy])
        try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, verbose: verbose, validationData: (xTest, yTest))
        let score = try model.evaluate(xTest, yTest, verbose: 0)
        print("Test loss: \(score[0])")
        print("Test accuracy: \(score[1])")

        if !sentences.isEmpty {
            let probabilities = try model.predict(try padSequences(tokenizer.textsToSequences(sentences), maxlen: maxlen))
            for (sentence, p) in zip(sentences, probabilities.scalars) {
                print("\(p >= 0.5 ? "positive" : "negative") (\(p)): \(sentence)")
            }
        }
        if minAccuracy > 0 && score[1] < minAccuracy {
            throw ValidationError("test accuracy \(score[1]) is below the required \(minAccuracy)")
        }
    }
}
