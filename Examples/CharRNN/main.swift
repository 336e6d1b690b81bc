// Character-level recurrent models from the lectures:
//   hello: the lecture's "hello" example (vocabulary h, e, l, o), learned exactly;
//   text:  a char-LSTM on real English (the bundled IMDB reviews) that writes new text by
//          sampling with a temperature.
import ArgumentParser
import Glibc
import SwiftKeras

@main
struct CharRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Character-level RNNs: the lecture's 'hello' and a char-LSTM text generator.",
        subcommands: [Hello.self, Text.self], defaultSubcommand: Hello.self)
}

struct Hello: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Learn 'hell' -> 'ello' with a SimpleRNN.")
    @Option(help: "Training epochs.") var epochs = 60
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        setRandomSeed(seed)
        let vocabulary: [Character] = ["h", "e", "l", "o"]
        let input = "hell", target = "ello"
        // One-hot inputs (1, 4 steps, 4 characters) and the next character as the label.
        let x = try toCategorical(try Tensor(input.map { Float(vocabulary.firstIndex(of: $0)!) }, shape: [1, 4]), numClasses: 4)
        let y = try Tensor(target.map { Float(vocabulary.firstIndex(of: $0)!) }, shape: [1, 4])

        let model = Sequential()
        model.add(SimpleRNN(8, returnSequences: true, inputShape: [4, 4]))
        model.add(TimeDistributed(Dense(4, activation: .softmax)))
        model.summary()
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.05), metrics: [.accuracy])

        func decode(_ probabilities: Tensor) -> String {
            String(probabilities.argmaxLastAxis().scalars.map { vocabulary[Int($0)] })
        }
        for epoch in 1...epochs {
            let history = try model.fit(x, y, epochs: 1, verbose: 0)
            if epoch == 1 || epoch % 10 == 0 || epoch == epochs {
                let predicted = decode(try model.predict(x))
                print("epoch \(epoch): loss \(history.history["loss"]![0]) prediction: \(input) -> \(predicted)")
            }
        }
        let predicted = decode(try model.predict(x))
        print(predicted == target ? "Learned: \(input) -> \(predicted)" : "Not learned yet: \(input) -> \(predicted)")
        if predicted != target { throw ExitCode.failure }
    }
}

struct Text: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a char-LSTM on IMDB review text and sample from it.")
    @Option(help: "Reviews to read as the corpus.") var reviews = 2000
    @Option(help: "Training windows of `--length` characters.") var windows = 10000
    @Option(help: "Characters per training window.") var length = 100
    @Option(help: "Training epochs.") var epochs = 3
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @Option(help: "Sampling temperature (lower is more conservative).") var temperature: Float = 0.6
    @Option(help: "Characters to generate.") var generate = 300
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 1

    func run() throws {
        setRandomSeed(seed)
        let corpus = try IMDB.loadTexts().prefix(reviews)
            .map { $0.lowercased().split(separator: "<br />", omittingEmptySubsequences: false).joined(separator: " ") }
            .joined(separator: "\n")
        // The characters seen often enough become the vocabulary; the rest map to one symbol.
        var counts: [Character: Int] = [:]
        for c in corpus { counts[c, default: 0] += 1 }
        let vocabulary = ["\u{FFFD}"] + counts.filter { $0.value >= 20 }.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        let ids = corpus.map { Float(index[$0] ?? 0) }
        print("Corpus: \(ids.count) characters, vocabulary of \(vocabulary.count)")

        // Windows of `length` characters; the target is the window shifted by one.
        var rng = RandomGenerator(seed: seed)
        var xs: [Float] = [], ys: [Float] = []
        for _ in 0..<windows {
            let start = Int(rng.nextUniform() * Float(ids.count - length - 1))
            xs += ids[start..<(start + length)]
            ys += ids[(start + 1)..<(start + length + 1)]
        }
        let x = try Tensor(xs, shape: [windows, length]), y = try Tensor(ys, shape: [windows, length])

        let model = Sequential()
        model.add(Embedding(vocabulary.count, 32, inputLength: length))
        model.add(LSTM(128, returnSequences: true))
        model.add(TimeDistributed(Dense(vocabulary.count, activation: .softmax)))
        model.summary()
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.003), metrics: [.accuracy])
        try model.fit(x, y, batchSize: batchSize, epochs: epochs, verbose: verbose)

        // Generation: start from a window of real text, feed the last `length` characters,
        // sample the next one, repeat.
        var sampler = RandomGenerator(seed: seed &+ 1)
        let promptStart = Int(sampler.nextUniform() * Float(ids.count - length))
        let prompt = ids[promptStart..<(promptStart + length)].map { vocabulary[Int($0)] }
        var text = prompt
        for _ in 0..<generate {
            let context = text.suffix(length).map { Float(index[$0] ?? 0) }
            let probabilities = try model.predict(try Tensor(context, shape: [1, context.count]))
            let last = Array(probabilities.scalars.suffix(vocabulary.count))
            text.append(vocabulary[sample(last, temperature: temperature, using: &sampler)])
        }
        print("\nPrompt:\n\(String(prompt))")
        print("\nGenerated (temperature \(temperature)):\n\(String(text.dropFirst(length)))")
    }
}

/// Draws an index from `probabilities` sharpened or flattened by `temperature`.
func sample(_ probabilities: [Float], temperature: Float, using rng: inout RandomGenerator) -> Int {
    let logits = probabilities.map { logf(Swift.max($0, 1e-12)) / Swift.max(temperature, 1e-3) }
    let top = logits.max() ?? 0
    let weights = logits.map { expf($0 - top) }
    var r = rng.nextUniform() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        r -= w
        if r <= 0 { return i }
    }
    return weights.count - 1
}
