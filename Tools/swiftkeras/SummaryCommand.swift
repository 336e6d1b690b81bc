import ArgumentParser
import Foundation
import SwiftKeras

/// `swiftkeras summary FILE`: Keras's `model.summary()` of a saved model, without writing a script.
struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the summary of a saved model (.keras file, or a model's JSON config).",
        discussion: """
            Reads a .keras file written by SwiftKeras or by Keras (its config and weights; the \
            optimizer's state too, whose size Keras counts as "Optimizer params"), or a JSON \
            config as model.toJSON() / Keras's model.to_json() write it, and prints the table \
            model.summary() prints.
            """)

    @Argument(help: "The saved model: a .keras file or a .json model config.") var file: String
    @Option(help: "The table's width in characters (Keras's line_length).") var lineLength: Int?

    func run() throws {
        let model: Model
        if file.lowercased().hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: file) else { throw ToolError("\(file): cannot read the file") }
            guard let json = String(data: data, encoding: .utf8) else { throw ToolError("\(file): not UTF-8 text") }
            model = try modelFromJSON(json)
        } else {
            model = try loadModel(file, restoreRandomState: false)
        }
        model.summary(lineLength: lineLength)
    }
}
