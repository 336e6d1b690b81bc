import Glibc

extension Model {
    /// Prints Keras's summary table: each layer's name, class, output shape and
    /// parameter count, then the totals (Keras's `summary()`).
    public func summary(lineLength: Int? = nil) {
        print(summaryText(lineLength: lineLength), terminator: "")
    }

    /// The text `summary()` prints, as Keras lays it out: three columns for a stack of
    /// layers, four (with "Connected to") for a graph that is not a plain chain. The width
    /// is min(88, or 108 with four columns, terminal columns - 4), where the columns are
    /// $COLUMNS on a terminal and 80 otherwise.
    public func summaryText(lineLength: Int? = nil) -> String {
        let buildError = buildFromDeclaredShape()
        var text = "Model: \"\(name)\"\n"
        if let buildError, !isBuilt { return text + "This model cannot be built: \(buildError)\n" }
        guard isBuilt else {
            return text + "This model has not yet been built. Build the model first by calling build() or by calling the model on a batch of data, or give the first layer an inputShape.\n"
        }
        let headers: [String], positions: [Double], widest: Int
        var rows: [[String]]
        if let graph {
            let graphRows = graph.summaryRows()
            if graph.isChain {
                headers = ["Layer (type)", "Output Shape", "Param #"]
                positions = [0.45, 0.8, 1.0]
                widest = 88
                rows = graphRows.map { ["\($0.layer.name) (\($0.layer.className))", $0.shape, groupedThousands($0.layer.countParams())] }
            } else {
                headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
                positions = [0.3, 0.56, 0.74, 1.0]
                widest = 108
                rows = graphRows.map {
                    ["\($0.layer.name) (\($0.layer.className))", $0.shape, groupedThousands($0.layer.countParams()),
                     $0.connectedTo.isEmpty ? "-" : $0.connectedTo.joined(separator: ", ")]
                }
            }
        } else {
            headers = ["Layer (type)", "Output Shape", "Param #"]
            positions = [0.45, 0.8, 1.0]
            widest = 88
            let shapes = layerOutputShapes
            rows = layers.enumerated().map { i, layer in
                ["\(layer.name) (\(layer.className))",
                 i < shapes.count ? symbolicShapeString(shapes[i]) : "?", groupedThousands(layer.countParams())]
            }
        }
        // Narrower than 20 (30 with four columns), a column would have no room for a
        // character; wider than 10,000, the rules alone would take megabytes.
        let requested = lineLength ?? Swift.min(widest, terminalColumns() - 4)
        let width = Swift.min(Swift.max(requested, headers.count == 4 ? 30 : 20), 10_000)
        // Column separators fall at the Keras positions, the last one a cell earlier, as
        // Keras's table renderer fits the borders in.
        let cuts = positions.dropLast().map { Int(Double(width) * $0) }
        let separators = cuts.enumerated().map { $0.offset == cuts.count - 1 ? $0.element - 1 : $0.element }
        let edges = [0] + separators + [width - 1]
        let widths = (1..<edges.count).map { edges[$0] - edges[$0 - 1] - 1 }

        func rule(_ left: String, _ fill: String, _ mid: String, _ right: String) -> String {
            left + widths.map { String(repeating: fill, count: $0) }.joined(separator: mid) + right + "\n"
        }
        // A cell that does not fit wraps at spaces onto more lines, as Keras's table does.
        func row(_ cells: [String], bar: String) -> String {
            let wrapped = cells.enumerated().map { wrap($1, width: widths[$0] - 2) }
            let height = wrapped.map(\.count).max() ?? 1
            var text = ""
            for line in 0..<height {
                var parts: [String] = []
                for (i, lines) in wrapped.enumerated() {
                    let content = line < lines.count ? lines[line] : ""
                    let pad = String(repeating: " ", count: Swift.max(0, widths[i] - 2 - content.count))
                    parts.append(" " + (i == 2 ? pad + content : content + pad) + " ")
                }
                text += bar + parts.joined(separator: bar) + bar + "\n"
            }
            return text
        }

        text += rule("┏", "━", "┳", "┓")
        text += row(headers, bar: "┃")
        text += rule("┡", "━", "╇", "┩")
        for (i, cells) in rows.enumerated() {
            text += row(cells, bar: "│")
            if i + 1 < rows.count { text += rule("├", "─", "┼", "┤") }
        }
        text += rule("└", "─", "┴", "┘")
        let trainable = trainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let frozen = nonTrainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) }
        // Keras counts an optimizer's variables into the total once it is built (trained, or
        // loaded with its state), and gives them a line of their own.
        // Its step counter is an int64 (8 bytes), every other value a float32.
        let optimizerState = compiled?.optimizer.stateParameterCount
        let optimizerBytes = optimizerState.map { 4 * $0 + 4 } ?? 0
        let total = trainable + frozen + (optimizerState ?? 0)
        text += " Total params: \(groupedThousands(total)) (\(memorySize(bytes: 4 * (trainable + frozen) + optimizerBytes)))\n"
        text += " Trainable params: \(groupedThousands(trainable)) (\(memorySize(bytes: 4 * trainable)))\n"
        text += " Non-trainable params: \(groupedThousands(frozen)) (\(memorySize(bytes: 4 * frozen)))\n"
        if let optimizerState {
            text += " Optimizer params: \(groupedThousands(optimizerState)) (\(memorySize(bytes: optimizerBytes)))\n"
        }
        return text
    }
}

/// Greedy word wrap; a word longer than `width` gets a line of its own, cut with "…".
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ").map(String.init) {
        if word.count > width {
            if !current.isEmpty { lines.append(current); current = "" }
            lines.append(String(word.prefix(Swift.max(width - 1, 0))) + "…")
            continue
        }
        if current.isEmpty {
            current = word
        } else if current.count + 1 + word.count <= width {
            current += " " + word
        } else {
            lines.append(current)
            current = word
        }
    }
    if !current.isEmpty || lines.isEmpty { lines.append(current) }
    return lines
}

/// "664,086"
func groupedThousands(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// Memory in Keras's units: "2.53 MB", "0.00 B".
func memorySize(bytes: Int) -> String {
    var size = Double(bytes)
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024 < 1 { return formatFixed(size, decimals: 2) + " " + unit }
        size /= 1024
    }
    return formatFixed(size, decimals: 2) + " PB"
}

/// The terminal's width: $COLUMNS on a terminal, else 80 (as Python's shutil does).
func terminalColumns() -> Int {
    if isatty(STDOUT_FILENO) != 0, let value = getenv("COLUMNS"), let columns = Int(String(cString: value)), columns > 0 {
        return columns
    }
    if isatty(STDOUT_FILENO) != 0 {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    }
    return 80
}
