// The lecture's encoder-decoder (seq2seq): an LSTM encoder reads "535+61" character by
// character, its final states (c = h_n) start an LSTM decoder that writes "596". Trained with
// teacher forcing; answers are then decoded greedily, step by step, with the same weights.
import ArgumentParser
import SwiftKeras

@main
struct Seq2Seq: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Learn to add numbers with an LSTM encoder-decoder.")

    @Option(help: "Training examples.") var samples = 40000
    @Option(name: .customLong("test-samples"), help: "Held-out examples for the exact-match accuracy.") var testSamples = 2000
    @Option(help: "Largest number of digits per operand.") var digits = 3
    @Option(help: "LSTM units of encoder and decoder.") var units = 128
    @Option(help: "Training epochs.") var epochs = 30
    @Option(name: .customLong("batch-size")) var batchSize = 128
    @Option(help: "Progress output: 0 silent, 1 progress bar, 2 one line per epoch.") var verbose = 2
    @Option(help: "Random seed.") var seed: UInt64 = 3
    @Option(name: .customLong("min-accuracy"), help: "Exit with failure below this held-out exact-match accuracy (0 disables).")
    var minAccuracy: Float = 0

    func run() throws {
        setRandomSeed(seed)
        let inputChars = Array("0123456789+ "), outputChars = Array("0123456789 \t\n")
        let start = outputChars.firstIndex(of: "\t")!, stop = outputChars.firstIndex(of: "\n")!
        let inputLength = 2 * digits + 1, outputLength = digits + 2   // answer digits + end mark

        // Distinct "a+b" questions; the question is padded to a fixed width.
        var rng = RandomGenerator(seed: seed)
        var seen = Set<String>()
        var questions: [String] = [], answers: [String] = []
        let limit = Int(pow10(digits))
        while questions.count < samples + testSamples {
            let a = Int(rng.next() % UInt64(limit)), b = Int(rng.next() % UInt64(limit))
            let question = "\(a)+\(b)"
            guard seen.insert(question).inserted else { continue }
            questions.append(question.padding(to: inputLength))
            answers.append(String(a + b))
        }

        func encode(_ texts: [String], _ vocabulary: [Character], length: Int) throws -> Tensor {
            var values = [Float](repeating: 0, count: texts.count * length * vocabulary.count)
            for (n, text) in texts.enumerated() {
                for (t, c) in text.prefix(length).enumerated() {
                    values[(n * length + t) * vocabulary.count + vocabulary.firstIndex(of: c)!] = 1
                }
            }
            return try Tensor(values, shape: [texts.count, length, vocabulary.count])
        }
        // Teacher forcing: the decoder reads "\t596" and learns to write "596\n".
        let decoderIn = answers.map { "\t" + $0.padding(to: outputLength - 1) }
        let decoderOut = answers.map { $0 + "\n" }
        let xEncoder = try encode(questions, inputChars, length: inputLength)
        let xDecoder = try encode(decoderIn, outputChars, length: outputLength)
        let yDecoder = try Tensor(decoderOut.flatMap { answer -> [Float] in
            let ids = answer.map { Float(outputChars.firstIndex(of: $0)!) }
            return ids + Array(repeating: Float(outputChars.firstIndex(of: " ")!), count: outputLength - ids.count)
        }, shape: [answers.count, outputLength])
        let train = 0..<samples, test = samples..<(samples + testSamples)

        // Training model.
        let encoderInputs = Input(shape: [nil, inputChars.count])
        let encoder = LSTM(units, returnState: true)
        let (_, encoderStates) = try encoder.callWithStates(encoderInputs)
        let decoderInputs = Input(shape: [nil, outputChars.count])
        let decoderLSTM = LSTM(units, returnSequences: true, returnState: true)
        let (decoderSequence, _) = try decoderLSTM.callWithStates(decoderInputs, initialState: encoderStates)
        let decoderDense = Dense(outputChars.count, activation: .softmax)
        let decoderOutputs = try decoderDense(decoderSequence)
        let model = try Model(inputs: [encoderInputs, decoderInputs], outputs: [decoderOutputs])
        model.summary()
        model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.003), metrics: [.accuracy])
        try model.fit([try xEncoder.slice(rows: train), try xDecoder.slice(rows: train)], [try yDecoder.slice(rows: train)],
                      batchSize: batchSize, epochs: epochs, verbose: verbose)

        // Inference models reuse the trained layers: the encoder gives the states, the decoder
        // takes one character and the states and gives the next character and states.
        let encoderModel = try Model(inputs: [encoderInputs], outputs: encoderStates)
        let stateH = Input(shape: [units]), stateC = Input(shape: [units])
        let (stepSequence, stepStates) = try decoderLSTM.callWithStates(decoderInputs, initialState: [stateH, stateC])
        let decoderModel = try Model(inputs: [decoderInputs, stateH, stateC], outputs: [try decoderDense(stepSequence)] + stepStates)

        // Greedy decoding of the held-out questions, all at once, one character per step.
        let questionsTest = try xEncoder.slice(rows: test)
        var states = try encoderModel.predict([questionsTest], batchSize: 512)
        var previous = [Int](repeating: start, count: testSamples)
        var decoded = [String](repeating: "", count: testSamples)
        var finished = [Bool](repeating: false, count: testSamples)
        for _ in 0..<outputLength {
            let step = try encode(previous.map { String(outputChars[$0]) }, outputChars, length: 1)
            let outputs = try decoderModel.predict([step] + states, batchSize: 512)
            let next = outputs[0].argmaxLastAxis().scalars.map { Int($0) }
            for i in 0..<testSamples where !finished[i] {
                if next[i] == stop { finished[i] = true } else { decoded[i].append(outputChars[next[i]]) }
            }
            previous = next
            states = Array(outputs.dropFirst())
        }
        let expected = Array(answers[test])
        let correct = zip(decoded, expected).filter { $0.trimmed == $1 }.count
        for i in 0..<5 {
            let question = questions[samples + i].trimmed
            print("\(question) = \(decoded[i].trimmed) \(decoded[i].trimmed == expected[i] ? "✓" : "✗ (\(expected[i]))")")
        }
        let accuracy = Float(correct) / Float(testSamples)
        print("Held-out exact-match accuracy: \(accuracy) (\(correct) of \(testSamples))")
        if minAccuracy > 0 && accuracy < minAccuracy {
            throw ValidationError("exact-match accuracy \(accuracy) is below the required \(minAccuracy)")
        }
    }
}

func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { value, _ in value * 10 } }

extension String {
    func padding(to length: Int) -> String { self + String(repeating: " ", count: Swift.max(0, length - count)) }
    var trimmed: String { String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
