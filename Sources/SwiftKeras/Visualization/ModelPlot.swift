import Glibc

/// The direction a model diagram runs in (Graphviz's `rankdir`; Keras's "TB" and "LR").
public enum RankDirection: String, Sendable {
    case topToBottom = "TB", leftToRight = "LR", bottomToTop = "BT", rightToLeft = "RL"
}

/// The model as a Graphviz DOT graph (Keras's `model_to_dot`): a box per layer, as Keras
/// draws it (a black header with the layer's name and class, white cells below for the input
/// and output shapes, activation, dtype and trainability when asked for), and an arrow for
/// each connection. A functional model shows its `Input` layers, branches and merges; with
/// `expandNested`, a model used as a layer is drawn as a dashed cluster of its own layers.
public func modelToDot(_ model: Model, showShapes: Bool = false, showDtype: Bool = false,
                       showLayerNames: Bool = true, rankdir: RankDirection = .topToBottom,
                       expandNested: Bool = false, dpi: Int = 200, showLayerActivations: Bool = false,
                       showTrainable: Bool = false, splines: String = "ortho") throws -> String {
    model.buildFromDeclaredShape()
    guard model.isBuilt else {
        throw KerasError.notReady(
            "modelToDot: model \"\(model.name)\" has not yet been built. Build the model first by calling build(inputShape:) or by calling the model on a batch of data, or give the first layer an inputShape.")
    }
    var writer = DotWriter(options: .init(showShapes: showShapes, showDtype: showDtype, showLayerNames: showLayerNames,
                                          showLayerActivations: showLayerActivations, showTrainable: showTrainable,
                                          expandNested: expandNested))
    writer.add(model)
    return """
        digraph "\(escapeDot(model.name))" {
          graph [rankdir="\(rankdir.rawValue)", concentrate=true, dpi=\(dpi), splines="\(escapeDot(splines))", bgcolor="white", pad="0.25"];
          node [shape="record", fontname="Helvetica", border="0", margin="0"];
          edge [penwidth="2"];
        \(writer.lines.joined(separator: "\n"))
        }

        """
}

/// Draws the model to `path` (Keras's `plot_model`): `.png`, `.svg` or `.pdf` through
/// Graphviz's `dot` (Debian's graphviz; the error names the package when it is missing), or
/// `.dot` for the DOT text itself. The arguments are `modelToDot`'s; as in Keras, layer names
/// are off unless asked for.
public func plotModel(_ model: Model, to path: String = "model.png", showShapes: Bool = false, showDtype: Bool = false,
                      showLayerNames: Bool = false, rankdir: RankDirection = .topToBottom, expandNested: Bool = false,
                      dpi: Int = 200, showLayerActivations: Bool = false, showTrainable: Bool = false,
                      splines: String = "ortho") throws {
    let format = try PictureFormat.of(path, allowed: [.png, .svg, .pdf, .dot], caller: "plotModel")
    let dot = try modelToDot(model, showShapes: showShapes, showDtype: showDtype, showLayerNames: showLayerNames,
                             rankdir: rankdir, expandNested: expandNested, dpi: dpi,
                             showLayerActivations: showLayerActivations, showTrainable: showTrainable, splines: splines)
    if format == .dot { return try AtomicFile.write(dot, to: path) }
    let source = scratchPath(beside: path, suffix: ".dot")
    try AtomicFile.write(dot, to: source)
    defer { unlink(source) }
    try AtomicFile.write(to: path) { temporary in
        try PictureTool.graphviz.run(["-T\(format.rawValue)", "-o", temporary, source], output: path, caller: "plotModel")
    }
}

/// Writes the nodes and edges of a model (and of nested models, as clusters).
private struct DotWriter {
    struct Options {
        let showShapes, showDtype, showLayerNames, showLayerActivations, showTrainable, expandNested: Bool
    }

    let options: Options
    var lines: [String] = []
    private var ids: [ObjectIdentifier: String] = [:]
    private var edges = Set<String>()
    private var depth = 1

    init(options: Options) { self.options = options }

    private mutating func id(_ layer: Layer) -> String {
        if let id = ids[ObjectIdentifier(layer)] { return id }
        let id = "layer\(ids.count)"
        ids[ObjectIdentifier(layer)] = id
        return id
    }

    private var indent: String { String(repeating: "  ", count: depth) }

    mutating func add(_ model: Model) {
        if let graph = model.graph {
            addGraph(graph)
        } else if model is Sequential {
            let layers = model.layers
            let outputs = model.layerOutputShapes
            var input = model.inputShape
            for (i, layer) in layers.enumerated() {
                let output = i < outputs.count ? outputs[i] : nil
                node(layer, inputs: input.map { [$0] }, outputs: output.map { [$0] })
                input = output
                if i > 0 { edge(layers[i - 1], layer) }
            }
        } else {
            // A model of another kind: one box, as Keras draws a subclassed model.
            node(ModelLayer(model), inputs: model.inputShapes, outputs: nil)
        }
    }

    private mutating func addGraph(_ graph: FunctionalGraph) {
        let calls = FunctionalGraph.postOrder(outputs: graph.outputs)
        for layer in graph.layers {
            let first = calls.first { $0.layer === layer }
            if options.expandNested, let nested = layer as? ModelLayer {
                lines.append("\(indent)subgraph \"cluster_\(escapeDot(nested.name))_\(id(nested))\" {")
                depth += 1
                lines.append("\(indent)label=\"\(escapeDot(nested.name))\"; labeljust=\"l\"; style=\"dashed\"; fontname=\"Helvetica\";")
                add(nested.model)
                depth -= 1
                lines.append("\(indent)}")
                continue
            }
            let inputs: [[Int]]? = first.map { call in
                if case .input = call.operation { return [] }
                return call.inputs.map(\.shape)
            }
            node(layer, inputs: inputs, outputs: first.map { graph.outputShapes(of: $0) })
        }
        for call in calls {
            if case .input = call.operation { continue }
            for (position, input) in call.inputs.enumerated() {
                edge(source(input.node.layer, output: input.index), destination(call.layer, input: position))
            }
        }
    }

    /// The box an arrow leaves: inside an expanded nested model, the layer making its output.
    private func source(_ layer: Layer, output: Int) -> Layer {
        guard options.expandNested, let nested = layer as? ModelLayer else { return layer }
        if let graph = nested.model.graph {
            let tensor = graph.outputs[Swift.min(output, graph.outputs.count - 1)]
            return source(tensor.node.layer, output: tensor.index)
        }
        return nested.model.layers.last.map { source($0, output: 0) } ?? layer
    }

    /// The box an arrow enters: inside an expanded nested model, its input (or first) layer.
    private func destination(_ layer: Layer, input: Int) -> Layer {
        guard options.expandNested, let nested = layer as? ModelLayer else { return layer }
        if let graph = nested.model.graph {
            return graph.inputs[Swift.min(input, graph.inputs.count - 1)].node.layer
        }
        return nested.model.layers.first.map { destination($0, input: 0) } ?? layer
    }

    private mutating func edge(_ from: Layer, _ to: Layer) {
        let line = "\(indent)\(id(from)) -> \(id(to));"
        if edges.insert(line).inserted { lines.append(line) }
    }

    /// Keras's label: a table with a black header row, then one row of white cells.
    private mutating func node(_ layer: Layer, inputs: [[Int]]?, outputs: [[Int]]?) {
        let isInput = layer is InputLayer
        var cells: [String] = []
        if options.showShapes {
            if !isInput { cells.append(cell("Input shape", shapes(inputs))) }
            cells.append(cell("Output shape", shapes(outputs)))
        }
        if options.showDtype { cells.append(cell("Output dtype", "float32")) }
        if options.showTrainable && !layer.weights.isEmpty {
            let trainable = !layer.trainableWeights.isEmpty
            cells.append("<td bgcolor=\"\(trainable ? "forestgreen" : "firebrick")\"><font point-size=\"14\" color=\"white\"><b>\(trainable ? "Trainable" : "Non-trainable")</b></font></td>")
        }
        let columns = Swift.max(1, cells.count)
        let title = options.showLayerNames
            ? "<b>\(escapeXML(layer.name))</b> (\(escapeXML(layer.className)))"
            : "<b>\(escapeXML(layer.className))</b>"
        var label = "<table border=\"0\" cellborder=\"1\" bgcolor=\"black\" cellpadding=\"10\">"
        label += "<tr><td colspan=\"\(columns)\" bgcolor=\"black\"><font point-size=\"16\" color=\"white\">\(title)</font></td></tr>"
        if options.showLayerActivations, let activation = activationName(of: layer) {
            label += "<tr><td bgcolor=\"white\" colspan=\"\(columns)\"><font point-size=\"14\">Activation: <b>\(escapeXML(activation))</b></font></td></tr>"
        }
        if !cells.isEmpty { label += "<tr>" + cells.joined() + "</tr>" }
        label += "</table>"
        lines.append("\(indent)\(id(layer)) [label=<\(label)>];")
    }

    private func cell(_ name: String, _ value: String) -> String {
        "<td bgcolor=\"white\"><font point-size=\"14\">\(name): <b>\(escapeXML(value))</b></font></td>"
    }

    /// "(None, 28, 28, 1)", or a list for several tensors, or "?" when unknown.
    private func shapes(_ shapes: [[Int]]?) -> String {
        guard let shapes, !shapes.isEmpty else { return "?" }
        return shapes.count == 1 ? symbolicShapeString(shapes[0]) : "[" + shapes.map(symbolicShapeString).joined(separator: ", ") + "]"
    }
}

/// The name of a layer's `activation` property, wherever in its class chain it is declared.
private func activationName(of layer: Layer) -> String? {
    var mirror: Mirror? = Mirror(reflecting: layer)
    while let current = mirror {
        if let activation = current.descendant("activation") as? Activation { return activation.name }
        mirror = current.superclassMirror
    }
    return nil
}

/// Text inside a double-quoted DOT string.
private func escapeDot(_ text: String) -> String {
    var out = ""
    for c in text {
        if c == "\\" || c == "\"" { out.append("\\") }
        out.append(c)
    }
    return out
}
