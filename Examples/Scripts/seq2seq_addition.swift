#!/usr/bin/env swiftkeras run
// The lecture's encoder-decoder (seq2seq): an LSTM encoder reads "535+61" character by
// character; its final states start an LSTM decoder that writes "596". Trained with teacher
// forcing; held-out questions are then answered greedily, one character at a time, by an
// encoder model and a one-step decoder model that share the trained layers.
//
//   swiftkeras run Examples/Scripts/seq2seq_addition.swift [--epochs 30] [--plot DIR]
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2seq_addition.swift", abstract: "Learn to add numbers with an LSTM encoder-decoder.")
    @Option(help: "Training examples.") var samples = 40000
    @Option(name: .customLong("test-samples"), help: "Held-out examples for the exact-match accuracy.") var testSamples = 2000
    @Option(help: "Largest number of digits per operand.") var digits = 3
    @Option(help: "LSTM units of encoder and decoder.") var units = 128
    @Option(help: "Training epochs.") var epochs = 30
    @Option(help: "Write history.svg, history.png and model.png into this folder.") var plot: String?
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this held-out exact-match accuracy.") var minAccuracy: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 3
}
let options = Options.parseOrExit()
setRandomSeed(options.seed)

let inputChars = Array("0123456789+ "), targetChars = Array("0123456789 \t\n")
let startMark = targetChars.firstIndex(of: "\t")!, stopMark = targetChars.firstIndex(of: "\n")!
let maxEncoderSeqLength = 2 * options.digits + 1, maxDecoderSeqLength = options.digits + 2
func padded(_ text: String, _ length: Int) -> String { text + String(repeating: " ", count: Swift.max(0, length - text.count)) }
func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespaces) }

// Distinct "a+b" questions, padded to a fixed width.
var rng = RandomGenerator(seed: options.seed)
var seen = Set<String>()
var inputTexts: [String] = [], targetTexts: [String] = []
let limit = UInt64(pow(10, Double(options.digits)))
while inputTexts.count < options.samples + options.testSamples {
    let a = rng.next() % limit, b = rng.next() % limit
    let question = "\(a)+\(b)"
    guard seen.insert(question).inserted else { continue }
    inputTexts.append(padded(question, maxEncoderSeqLength))
    targetTexts.append(String(a + b))
}

func oneHot(_ texts: [String], _ chars: [Character], length: Int) throws -> Tensor {
    var values = [Float](repeating: 0, count: texts.count * length * chars.count)
    for (n, text) in texts.enumerated() {
        for (t, c) in text.prefix(length).enumerated() { values[(n * length + t) * chars.count + chars.firstIndex(of: c)!] = 1 }
    }
    return try Tensor(values, shape: [texts.count, length, chars.count])
}
// Teacher forcing: the decoder reads "\t596" and learns to write "596\n".
let encoderInputData = try oneHot(inputTexts, inputChars, length: maxEncoderSeqLength)
let decoderInputData = try oneHot(targetTexts.map { "\t" + padded($0, maxDecoderSeqLength - 1) }, targetChars, length: maxDecoderSeqLength)
let decoderTargetData = try Tensor(targetTexts.flatMap { answer -> [Float] in
    let ids = (answer + "\n").map { Float(targetChars.firstIndex(of: $0)!) }
    return ids + Array(repeating: Float(targetChars.firstIndex(of: " ")!), count: maxDecoderSeqLength - ids.count)
}, shape: [targetTexts.count, maxDecoderSeqLength])
let train = 0..<options.samples, test = options.samples..<(options.samples + options.testSamples)

// The training model.
let encoderInputs = Input(shape: [nil, inputChars.count])
let encoder = LSTM(options.units, returnState: true)
let (_, encoderStates) = try encoder.callWithStates(encoderInputs)
let decoderInputs = Input(shape: [nil, targetChars.count])
let decoderLSTM = LSTM(options.units, returnSequences: true, returnState: true)
let (decoderSequence, _) = try decoderLSTM.callWithStates(decoderInputs, initialState: encoderStates)
let decoderDense = Dense(targetChars.count, activation: "softmax")
let decoderOutputs = try decoderDense(decoderSequence)
let model = try Model(inputs: [encoderInputs, decoderInputs], outputs: [decoderOutputs])
model.summary()
model.compile(loss: "sparse_categorical_crossentropy", optimizer: Adam(learningRate: 0.003), metrics: ["accuracy"])
let history = try model.fit([try encoderInputData.slice(rows: train), try decoderInputData.slice(rows: train)],
                            [try decoderTargetData.slice(rows: train)], batchSize: 128, epochs: options.epochs, verbose: 2)

// Inference models reuse the trained layers: the encoder gives the states; the decoder takes
// one character and the states, and gives the next character and states.
let encoderModel = try Model(inputs: [encoderInputs], outputs: encoderStates)
let decoderStateInputH = Input(shape: [options.units]), decoderStateInputC = Input(shape: [options.units])
let (stepSequence, stepStates) = try decoderLSTM.callWithStates(decoderInputs, initialState: [decoderStateInputH, decoderStateInputC])
let decoderModel = try Model(inputs: [decoderInputs, decoderStateInputH, decoderStateInputC],
                             outputs: [try decoderDense(stepSequence)] + stepStates)

// Greedy decoding of all held-out questions at once, one character per step.
var states = try encoderModel.predict([try encoderInputData.slice(rows: test)], batchSize: 512)
var previous = [Int](repeating: startMark, count: options.testSamples)
var decoded = [String](repeating: "", count: options.testSamples)
var finished = [Bool](repeating: false, count: options.testSamples)
for _ in 0..<maxDecoderSeqLength {
    let outputs = try decoderModel.predict([try oneHot(previous.map { String(targetChars[$0]) }, targetChars, length: 1)] + states, batchSize: 512)
    let next = outputs[0].argmaxLastAxis().scalars.map { Int($0) }
    for i in 0..<options.testSamples where !finished[i] {
        if next[i] == stopMark { finished[i] = true } else { decoded[i].append(targetChars[next[i]]) }
    }
    previous = next
    states = Array(outputs.dropFirst())
}
let expected = Array(targetTexts[test])
let correct = zip(decoded, expected).filter { trimmed($0) == $1 }.count
for i in 0..<5 {
    let answer = trimmed(decoded[i])
    print("\(trimmed(inputTexts[options.samples + i])) = \(answer) \(answer == expected[i] ? "☑" : "☒ (\(expected[i]))")")
}
let accuracy = Float(correct) / Float(options.testSamples)
print("Held-out exact-match accuracy:", accuracy, "(\(correct) of \(options.testSamples))")

if let folder = options.plot {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try history.plot(to: folder + "/history.svg", title: "Seq2seq addition (encoder-decoder)")
    try history.plot(to: folder + "/history.png", title: "Seq2seq addition (encoder-decoder)")
    try plotModel(model, to: folder + "/model.png", showShapes: true, showLayerNames: true)
}
if accuracy < options.minAccuracy {
    Options.exit(withError: ValidationError("exact-match accuracy \(accuracy) is below the required \(options.minAccuracy)"))
}
