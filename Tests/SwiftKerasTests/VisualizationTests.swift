import Glibc
import Testing
@testable import SwiftKeras

/// Pictures of training histories (SVG, PNG through rsvg-convert) and of models (DOT, PNG
/// through Graphviz), as Keras's plot_model draws them.
@Suite(.serialized) struct VisualizationTests {
    func history(nan: Bool = false) -> History {
        let history = History()
        let losses: [Float] = [0.9, 0.5, nan ? .nan : 0.3, 0.2]
        for (i, loss) in losses.enumerated() {
            let step = Float(i) * 0.1
            var logs: Logs = ["accuracy": 0.6 + step, "loss": loss, "val_accuracy": 0.55 + step, "val_loss": loss + 0.1]
            try! history.onEpochEnd(i, logs: &logs)
        }
        return history
    }

    func temporaryDirectory() -> String {
        var template = Array("/tmp/swiftkeras-pictures-XXXXXX".utf8CString)
        return String(cString: mkdtemp(&template)!)
    }

    @Test func historyPanelsPutLossFirstThenMetricsWithTheirValidation() {
        let panels = history().plotPanels()
        #expect(panels.map(\.name) == ["loss", "accuracy"])
        #expect(panels[0].validation == [1.0, 0.6, 0.4, 0.3].map { Float($0) })
        let svg = history().svgText(title: "LeNet")
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains(">LeNet</text>"))
        #expect(svg.contains(">4 epochs</text>"))
        #expect(svg.contains(">training 0.2000</text>"))
        #expect(svg.contains(">validation 0.3000</text>"))
        #expect(svg.contains("stroke-dasharray=\"7 4\""))  // validation is dashed
        #expect(occurrences(of: "<polyline", in: svg) == 4)
        #expect(svg.hasSuffix("</svg>\n"))
    }

    @Test func aNaNBreaksTheLineInsteadOfDrawingIt() {
        let svg = history(nan: true).svgText()
        #expect(!svg.contains("nan"))
        // loss and val_loss split into two pieces each (the single points after the gap have no line).
        #expect(occurrences(of: "<polyline", in: svg) == 2 + 2)
    }

    @Test func themesPaintTheirOwnBackground() {
        #expect(history().svgText(theme: .light).contains("fill=\"#ffffff\""))
        #expect(history().svgText(theme: .dark).contains("fill=\"#161b22\""))
    }

    @Test func ticksAreRoundAndCoverTheData() {
        #expect(niceTicks(low: 0.13, high: 1.01, count: 5) == [0, 0.25, 0.5, 0.75, 1.0, 1.25])
        #expect(niceTicks(low: 0.5, high: 0.5, count: 5).first! <= 0.5)
        #expect(tickDecimals([0.875, 0.9, 0.925]) == 3)
        #expect(tickDecimals([0, 0.25, 0.5]) == 2)
        #expect(tickDecimals([0, 5, 10]) == 0)
        #expect(epochTicks(1) == [1])
        #expect(epochTicks(6) == [1, 2, 3, 4, 5, 6])
        #expect(epochTicks(100) == [1, 20, 40, 60, 80, 100])
    }

    @Test func plotWritesSVGAndRejectsEmptyHistoriesAndUnknownFormats() throws {
        let directory = temporaryDirectory()
        try history().plot(to: directory + "/h.svg")
        #expect(readSmallFile(directory + "/h.svg").hasPrefix("<?xml"))
        #expect(throws: KerasError.self) { try History().plot(to: directory + "/empty.svg") }
        do {
            try history().plot(to: directory + "/h.gif")
            Issue.record("a .gif was accepted")
        } catch let error as KerasError {
            #expect("\(error)".contains("writes .svg, .png, .pdf files, received .gif"))
        }
    }

    @Test func aMissingRasterizerIsNamedWithItsDebianPackage() throws {
        let directory = temporaryDirectory()
        let saved = String(cString: getenv("PATH"))
        setenv("PATH", "/nonexistent", 1)
        defer { setenv("PATH", saved, 1) }
        for (write, package) in [({ try history().plot(to: directory + "/h.png") }, "librsvg2-bin"),
                                 ({ try plotModel(lenet(), to: directory + "/m.png") }, "graphviz")] as [(() throws -> Void, String)] {
            do {
                try write()
                Issue.record("wrote a PNG without its tool")
            } catch let error as KerasError {
                #expect("\(error)".contains("install Debian's \(package) package"))
            }
        }
        #expect(access(directory + "/h.png", F_OK) != 0)
    }

    @Test func pngThroughTheRealTools() throws {
        try #require(PictureTool.rsvg.location != nil && PictureTool.graphviz.location != nil,
                     "rsvg-convert and dot are installed by Scripts/install-tool.sh")
        let directory = temporaryDirectory()
        try history().plot(to: directory + "/h.png")
        try plotModel(lenet(), to: directory + "/m.png", showShapes: true)
        for file in ["h.png", "m.png"] {
            #expect(firstBytes(directory + "/" + file, 8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        }
    }

    func lenet() -> Sequential {
        let model = Sequential()
        model.add(Conv2D(filters: 4, kernelSize: (5, 5), padding: .same, activation: .relu, inputShape: [28, 28, 1]))
        model.add(MaxPool2D(poolSize: (2, 2)))
        model.add(Flatten())
        model.add(Dense(10, activation: .softmax))
        return model
    }

    @Test func sequentialDotIsAChainOfKerasBoxes() throws {
        let dot = try modelToDot(lenet(), showShapes: true)
        #expect(dot.contains("rankdir=\"TB\""))
        #expect(dot.contains("<b>conv2d</b> (Conv2D)") || dot.contains("(Conv2D)"))
        #expect(dot.contains("Input shape: <b>(None, 28, 28, 1)</b>"))
        #expect(dot.contains("Output shape: <b>(None, 14, 14, 4)</b>"))
        #expect(dot.contains("layer0 -> layer1;") && dot.contains("layer2 -> layer3;"))
        #expect(!dot.contains("InputLayer"))  // Keras draws no input box for a Sequential model
        let plain = try modelToDot(lenet(), showLayerNames: false, rankdir: .leftToRight)
        #expect(plain.contains("<b>Conv2D</b>") && !plain.contains("Input shape") && plain.contains("rankdir=\"LR\""))
    }

    @Test func functionalDotHasInputsBranchesAndMerges() throws {
        let a = Input(shape: [20], name: "features"), b = Input(shape: [12], name: "extra")
        let h = try Dense(32, activation: .relu, name: "trunk")(a)
        let left = try Dense(8, name: "left")(h), right = try Dense(8, name: "right")(h)
        let merged = try Concatenate(name: "join")([left, right, try Dense(8, name: "side")(b)])
        let model = try Model(inputs: [a, b], outputs: [try Dense(1, name: "head")(merged)])
        let dot = try modelToDot(model, showShapes: true, showLayerActivations: true, showTrainable: true)
        func id(_ name: String) -> String {
            let line = dot.split(separator: "\n").first { $0.contains("<b>\(name)</b>") }!
            return String(line.split(separator: " ").first { $0.hasPrefix("layer") }!)
        }
        for (from, to) in [("features", "trunk"), ("trunk", "left"), ("trunk", "right"), ("left", "join"),
                           ("right", "join"), ("extra", "side"), ("side", "join"), ("join", "head")] {
            #expect(dot.contains("\(id(from)) -> \(id(to));"), "\(from) -> \(to)")
        }
        #expect(occurrences(of: " -> ", in: dot) == 8)
        #expect(dot.contains("Input shape: <b>[(None, 8), (None, 8), (None, 8)]</b>"))
        #expect(dot.contains("Activation: <b>relu</b>"))
        #expect(dot.contains("<b>Trainable</b>"))
        // The input box shows only its output shape.
        let inputLine = dot.split(separator: "\n").first { $0.contains("<b>features</b>") }!
        #expect(!inputLine.contains("Input shape") && inputLine.contains("Output shape: <b>(None, 20)</b>"))
    }

    @Test func nestedModelsExpandIntoClusters() throws {
        let block = Sequential([Dense(16, activation: .relu, inputShape: [32], name: "inner_a"), Dense(4, name: "inner_b")], name: "block")
        let x = Input(shape: [32], name: "x")
        let model = try Model(inputs: x, outputs: try Dense(1, name: "out")(try block(x)))
        let folded = try modelToDot(model)
        #expect(folded.contains("<b>block</b> (Sequential)") && !folded.contains("cluster"))
        let expanded = try modelToDot(model, expandNested: true)
        #expect(expanded.contains("subgraph \"cluster_block"))
        func id(_ name: String) -> String {
            let line = expanded.split(separator: "\n").first { $0.contains("<b>\(name)</b>") }!
            return String(line.split(separator: " ").first { $0.hasPrefix("layer") }!)
        }
        #expect(expanded.contains("\(id("x")) -> \(id("inner_a"));"))
        #expect(expanded.contains("\(id("inner_a")) -> \(id("inner_b"));"))
        #expect(expanded.contains("\(id("inner_b")) -> \(id("out"));"))
    }

    @Test func plotModelWritesDotTextAndNeedsABuiltModel() throws {
        let directory = temporaryDirectory()
        try plotModel(lenet(), to: directory + "/m.dot")
        let text = readSmallFile(directory + "/m.dot")
        #expect(text.hasPrefix("digraph") && text.contains("<b>Conv2D</b>"))  // names off, as in Keras
        let unbuilt = Sequential()
        unbuilt.add(Dense(3))
        #expect(throws: KerasError.self) { try modelToDot(unbuilt) }
    }
}

private func occurrences(of needle: String, in text: String) -> Int {
    text.split(separator: needle, omittingEmptySubsequences: false).count - 1
}

private func firstBytes(_ path: String, _ count: Int) -> [UInt8] {
    guard let file = fopen(path, "r") else { return [] }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: count)
    let read = fread(&buffer, 1, count, file)
    return Array(buffer.prefix(read))
}
