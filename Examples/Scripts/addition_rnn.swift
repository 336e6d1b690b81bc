#!/usr/bin/env swiftkeras run
// keras-io's "Sequence to sequence learning for performing number addition"
// (keras.io/examples/nlp/addition_rnn), line for line: questions like "535+61" reversed and
// one-hot encoded, an LSTM(128) encoder, RepeatVector, an LSTM(128) decoder returning
// sequences and a softmax over the characters at every step. keras-io trains 30 epochs and
// reports about 99% validation accuracy.
//
//   swiftkeras run Examples/Scripts/addition_rnn.swift [--epochs 30] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addition_rnn.swift", abstract: "keras-io's number addition with an LSTM encoder, RepeatVector and an LSTM decoder.")
    @Option(help: "Training epochs.") var epochs = 30
    @Option(name: .customLong("training-size"), help: "Questions generated (10% held out for validation).") var trainingSize = 50000
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this final validation accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

// Parameters for the model and dataset.
let trainingSize = options.trainingSize
let digits = 3
let reverse = true
// Maximum length of input is 'int + int' (e.g., '345+678'). Maximum length of int is DIGITS.
let maxlen = digits + 1 + digits

/// Given a set of characters: encode them to a one-hot integer representation, decode the
/// one-hot or integer representation to their character output, decode a vector of
/// probabilities to their character output.
struct CharacterTable {
    let chars: [Character]
    let charIndices: [Character: Int]

    init(_ chars: String) {
        self.chars = Array(chars).sorted()
        charIndices = Dictionary(uniqueKeysWithValues: self.chars.enumerated().map { ($1, $0) })
    }

    /// One-hot encode the given string into `numRows` rows.
    func encode(_ text: String, numRows: Int) -> [Float] {
        var x = [Float](repeating: 0, count: numRows * chars.count)
        for (i, c) in text.enumerated() { x[i * chars.count + charIndices[c]!] = 1 }
        return x
    }

    /// Decode rows of probabilities (each row's largest) to their characters.
    func decode(_ x: [Float]) -> String {
        String(stride(from: 0, to: x.count, by: chars.count).map { start in
            chars[x[start..<(start + chars.count)].indices.max { x[$0] < x[$1] }! - start]
        })
    }
}

// All the numbers, plus sign and space for padding.
let chars = "0123456789+ "
let ctable = CharacterTable(chars)

var questions: [String] = []
var expected: [String] = []
var seen = Set<String>()
var rng = RandomGenerator(seed: options.seed)
print("Generating data...")
func f() -> Int {
    let count = 1 + Int(rng.next() % UInt64(digits))
    return Int((0..<count).map { _ in String(rng.next() % 10) }.joined())!
}
while questions.count < trainingSize {
    let (a, b) = (f(), f())
    // Skip any addition questions we've already seen. Also skip any such that x+Y == Y+x (hence the sorting).
    let key = [a, b].sorted().map(String.init).joined(separator: ",")
    if seen.contains(key) { continue }
    seen.insert(key)
    // Pad the data with spaces such that it is always MAXLEN.
    let q = "\(a)+\(b)"
    var query = q + String(repeating: " ", count: maxlen - q.count)
    var ans = String(a + b)
    // Answers can be of maximum size DIGITS + 1.
    ans += String(repeating: " ", count: digits + 1 - ans.count)
    if reverse {
        // Reverse the query, e.g., '12+345  ' becomes '  543+21'.
        query = String(query.reversed())
    }
    questions.append(query)
    expected.append(ans)
}
print("Total questions:", questions.count)

print("Vectorization...")
let x = try Tensor(questions.flatMap { ctable.encode($0, numRows: maxlen) }, shape: [questions.count, maxlen, ctable.chars.count])
let y = try Tensor(expected.flatMap { ctable.encode($0, numRows: digits + 1) }, shape: [questions.count, digits + 1, ctable.chars.count])

// Shuffle (x, y) in unison as the later parts of x will almost all be larger digits.
var indices = Array(0..<questions.count)
indices.shuffle(using: &rng)
let shuffledX = try x.gather(rows: indices), shuffledY = try y.gather(rows: indices)

// Explicitly set apart 10% for validation data that we never train over.
let splitAt = questions.count - questions.count / 10
let (xTrain, xVal) = (try shuffledX.slice(rows: 0..<splitAt), try shuffledX.slice(rows: splitAt..<questions.count))
let (yTrain, yVal) = (try shuffledY.slice(rows: 0..<splitAt), try shuffledY.slice(rows: splitAt..<questions.count))
print("Training Data:", xTrain.shape, yTrain.shape)
print("Validation Data:", xVal.shape, yVal.shape)

print("Build model...")
let numLayers = 1  // Try to add more LSTM layers!

let model = Sequential()
// "Encode" the input sequence using a LSTM, producing an output of size 128.
// Note: In a situation where your input sequences have a variable length,
// use input_shape=(None, num_feature).
model.add(LSTM(128, inputShape: [maxlen, chars.count]))
// As the decoder RNN's input, repeatedly provide with the last output of
// RNN for each time step. Repeat 'DIGITS + 1' times as that's the maximum
// length of output, e.g., when DIGITS=3, max output is 999+999=1998.
model.add(RepeatVector(digits + 1))
// The decoder RNN could be multiple layers stacked or a single layer.
for _ in 0..<numLayers {
    // By setting return_sequences to True, return not only the last output but
    // all the outputs so far in the form of (num_samples, timesteps,
    // output_dim). This is necessary as TimeDistributed in the below expects
    // the first dimension to be the timesteps.
    model.add(LSTM(128, returnSequences: true))
}
// Apply a dense layer to the every temporal slice of an input. For each of step
// of the output sequence, decide which character should be chosen.
model.add(Dense(chars.count, activation: "softmax"))
model.compile(loss: "categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])
model.summary()

let epochs = options.epochs
let batchSize = 32
// Train the model (keras-io fits one epoch at a time to show predictions after each; the
// predictions come once here, after training).
let history = try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: epochs, validationData: (xVal, yVal))
// Select 10 samples from the validation set at random so we can visualize errors.
for _ in 0..<10 {
    let ind = Int(rng.next() % UInt64(xVal.shape[0]))
    let rowx = try xVal.slice(rows: ind..<(ind + 1)), rowy = try yVal.slice(rows: ind..<(ind + 1))
    let preds = try model.predict(rowx, verbose: 0)
    let q = ctable.decode(rowx.scalars)
    let correct = ctable.decode(rowy.scalars)
    let guess = ctable.decode(preds.scalars)
    print("Q", reverse ? String(q.reversed()) : q, "T", correct, correct == guess ? "☑ \(guess)" : "☒ \(guess)")
}
let accuracy = history.history["val_accuracy"]!.last!
print("Validation accuracy:", accuracy)

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Number addition (keras-io addition_rnn)")
    try history.plot(to: folder + "/history.png", title: "Number addition (keras-io addition_rnn)")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if accuracy < options.minAccuracy {
    Options.exit(withError: ValidationError("validation accuracy \(accuracy) is below the required \(options.minAccuracy)"))
}
