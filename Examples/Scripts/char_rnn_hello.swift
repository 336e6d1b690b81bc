#!/usr/bin/env swiftkeras run
// The lecture's "hello" character RNN: one-hot "hell" in, "ello" out, through a SimpleRNN
// and a softmax over the four characters at every step. Learned exactly.
//
//   swiftkeras run Examples/Scripts/char_rnn_hello.swift [--epochs 60] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "char_rnn_hello.swift", abstract: "Learn 'hell' -> 'ello' with a SimpleRNN; fails unless learned exactly.")
    @Option(help: "Training epochs.") var epochs = 60
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(help: "Random seed.") var seed: UInt64 = 1
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let vocabulary: [Character] = ["h", "e", "l", "o"]
let input = "hell", target = "ello"
// One-hot inputs (1 sample, 4 steps, 4 characters); the labels are the next characters.
let x = try toCategorical(try Tensor(input.map { Float(vocabulary.firstIndex(of: $0)!) }, shape: [1, 4]), numClasses: 4)
let y = try Tensor(target.map { Float(vocabulary.firstIndex(of: $0)!) }, shape: [1, 4])

let model = Sequential()
model.add(SimpleRNN(8, returnSequences: true, inputShape: [4, 4]))
model.add(TimeDistributed(Dense(4, activation: "softmax")))
model.summary()
model.compile(loss: "sparse_categorical_crossentropy", optimizer: Adam(learningRate: 0.05), metrics: ["accuracy"])
let history = try model.fit(x, y, epochs: options.epochs, verbose: 0)
for (epoch, loss) in history.history["loss"]!.enumerated() where epoch == 0 || (epoch + 1) % 10 == 0 {
    print("epoch \(epoch + 1): loss \(loss)")
}

let predicted = String(try model.predict(x).argmaxLastAxis().scalars.map { vocabulary[Int($0)] })
print(predicted == target ? "Learned: \(input) -> \(predicted)" : "Not learned: \(input) -> \(predicted)")

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "The \"hello\" character RNN")
    try history.plot(to: folder + "/history.png", title: "The \"hello\" character RNN")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if predicted != target { Options.exit(withError: ExitCode.failure) }
