#!/usr/bin/env swiftkeras run
// The lecture's character-level language model on real English (the bundled IMDB review
// texts): windows of 100 characters, Embedding -> LSTM(128) returning sequences -> softmax
// over the characters at every step; then it writes new text, sampling each next character
// with a temperature.
//
//   swiftkeras run Examples/Scripts/char_rnn_text.swift [--epochs 3] [--temperature 0.6] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "char_rnn_text.swift", abstract: "A char-LSTM on review text that then generates text.")
    @Option(help: "Reviews to read as the corpus.") var reviews = 2000
    @Option(help: "Training windows of `--length` characters.") var windows = 10000
    @Option(help: "Characters per training window.") var length = 100
    @Option(help: "Training epochs.") var epochs = 3
    @Option(help: "Sampling temperature (lower is more conservative).") var temperature: Float = 0.6
    @Option(help: "Characters to generate.") var generate = 300
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(help: "Random seed.") var seed: UInt64 = 7
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)
let length = options.length

let corpus = try IMDB.loadTexts().prefix(options.reviews)
    .map { $0.lowercased().split(separator: "<br />", omittingEmptySubsequences: false).joined(separator: " ") }
    .joined(separator: "\n")
// The characters seen often enough make the vocabulary; the rest share one symbol.
var counts: [Character: Int] = [:]
for c in corpus { counts[c, default: 0] += 1 }
let chars = ["\u{FFFD}"] + counts.filter { $0.value >= 20 }.keys.sorted()
let charIndices = Dictionary(uniqueKeysWithValues: chars.enumerated().map { ($1, $0) })
let ids = corpus.map { Float(charIndices[$0] ?? 0) }
print("corpus length:", ids.count, "characters; total chars:", chars.count)

// Windows of `length` characters; the target is the window shifted by one.
var rng = RandomGenerator(seed: options.seed)
var xs: [Float] = [], ys: [Float] = []
for _ in 0..<options.windows {
    let start = Int(rng.nextUniform() * Float(ids.count - length - 1))
    xs += ids[start..<(start + length)]
    ys += ids[(start + 1)..<(start + length + 1)]
}
let x = try Tensor(xs, shape: [options.windows, length]), y = try Tensor(ys, shape: [options.windows, length])

let model = Sequential()
model.add(Embedding(chars.count, 32, inputLength: length))
model.add(LSTM(128, returnSequences: true))
model.add(TimeDistributed(Dense(chars.count, activation: "softmax")))
model.summary()
model.compile(loss: "sparse_categorical_crossentropy", optimizer: Adam(learningRate: 0.003), metrics: ["accuracy"])
let history = try model.fit(x, y, batchSize: 64, epochs: options.epochs)

/// Draws an index from `probabilities` sharpened or flattened by `temperature`.
func sample(_ probabilities: [Float], temperature: Float, using rng: inout RandomGenerator) -> Int {
    let logits = probabilities.map { log(Swift.max($0, 1e-12)) / Swift.max(temperature, 1e-3) }
    let top = logits.max() ?? 0
    let weights = logits.map { exp($0 - top) }
    var r = rng.nextUniform() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        r -= w
        if r <= 0 { return i }
    }
    return weights.count - 1
}

// Generation: start from a window of real text, feed the last `length` characters, sample
// the next one, repeat.
var sampler = RandomGenerator(seed: options.seed &+ 1)
let promptStart = Int(sampler.nextUniform() * Float(ids.count - length))
let prompt = ids[promptStart..<(promptStart + length)].map { chars[Int($0)] }
var text = prompt
for _ in 0..<options.generate {
    let context = text.suffix(length).map { Float(charIndices[$0] ?? 0) }
    let probabilities = try model.predict(try Tensor(context, shape: [1, context.count]))
    text.append(chars[sample(Array(probabilities.scalars.suffix(chars.count)), temperature: options.temperature, using: &sampler)])
}
print("\nPrompt:\n\(String(prompt))")
print("\nGenerated (temperature \(options.temperature)):\n\(String(text.dropFirst(length)))")

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Character LSTM on review text")
    try history.plot(to: folder + "/history.png", title: "Character LSTM on review text")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
