#!/usr/bin/env swiftkeras run
// Save and load times of whole models (`.keras`), beside Scripts/benchmark/saving_times.py,
// which times Keras's model.save / keras.models.load_model on the same models:
//   swiftkeras run Scripts/benchmark/saving_times.swift [--repeats 7] [--folder DIR]
// Each model is compiled with Adam and fitted on one batch first, so its file holds the
// optimizer's state as well. Prints one line per model: min and median seconds, file bytes.
import ArgumentParser
import Foundation
import SwiftKeras

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saving_times.swift", abstract: "Times model.save and loadModel for LeNet and the IMDB LSTM.")
    @Option(help: "Timed saves and loads per model.") var repeats = 7
    @Option(help: "Folder for the files (default: a temporary folder).") var folder: String?
}
let options = Options.parseOrExit()
setRandomSeed(1)
let folder = options.folder ?? NSTemporaryDirectory() + "saving_times_\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

func lenet() -> Sequential {
    Sequential([
        Conv2D(32, (5, 5), padding: .same, activation: "relu", inputShape: [28, 28, 1]),
        MaxPooling2D((2, 2)),
        Conv2D(48, (5, 5), padding: .same, activation: "relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(256, activation: "relu"),
        Dense(84, activation: "relu"),
        Dense(10, activation: "softmax"),
    ])
}

func imdbLSTM() -> Sequential {
    Sequential([Embedding(10000, 32, inputLength: 200), LSTM(64), Dense(1, activation: "sigmoid")])
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let cases: [(String, Sequential, Tensor, Tensor, Loss)] = [
    ("lenet", lenet(), Tensor.randomUniform([32, 28, 28, 1]), Tensor((0..<32).map { Float($0 % 10) }),
     .sparseCategoricalCrossentropy),
    ("imdb_lstm", imdbLSTM(), try Tensor((0..<6400).map { Float(1 + ($0 * 7919) % 9999) }, shape: [32, 200]),
     Tensor((0..<32).map { Float($0 % 2) }), .binaryCrossentropy),
]
for (name, model, x, y, loss) in cases {
    model.compile(loss: loss, optimizer: "adam")
    try model.fit(x, y, batchSize: 32, epochs: 1, verbose: 0)
    let path = "\(folder)/\(name).keras"
    try model.save(path)  // warm-up
    _ = try loadModel(path)
    var saves: [Double] = [], loads: [Double] = []
    for _ in 0..<options.repeats {
        saves.append(try seconds { try model.save(path) })
        loads.append(try seconds { _ = try loadModel(path) })
    }
    let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print(String(format: "%@: save min %.4f s median %.4f s; load min %.4f s median %.4f s; %d bytes",
                 name, saves.min()!, median(saves), loads.min()!, median(loads), bytes))
}
if options.folder == nil { try? FileManager.default.removeItem(atPath: folder) }
