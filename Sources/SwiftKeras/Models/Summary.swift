import Glibc

extension Model {
    /// Prints Keras's summary table: each layer's name, class, output shape and
    /// parameter count, then the totals (Keras's `summary()`).
    public func summary(lineLength: Int? = nil) {
        print(summaryText(lineLength: lineLength), terminator: "")
    }

    /// The text `summary()` prints. Width as Keras: min(88, terminal columns - 4), where
    /// the columns are $COLUMNS on a terminal and 80 otherwise.
    public func summaryText(lineLength: Int? = nil) -> String {
        buildFromDeclaredShape()
        var text = "Model: \"\(name)\"\n"
        guard isBuilt else {
            return text + "This model has not yet been built. Build the model first by calling build() or by calling the model on a batch of data, or give the first layer an inputShape.\n"
        }
        let width = lineLength ?? Swift.min(88, terminalColumns() - 4)
        let cut1 = Int(Double(width) * 0.45), cut2 = Int(Double(width) * 0.8)
        let widths = [cut1 - 1, cut2 - cut1 - 2, width - cut2 - 1]

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
                    let pad = String(repeating: " ", count: widths[i] - 2 - content.count)
                    parts.append(" " + (i == 2 ? pad + content : content + pad) + " ")
                }
                text += bar + parts.joined(separator: bar) + bar + "\n"
            }
            return text
        }

        text += rule("┏", "━", "┳", "┓")
        text += row(["Layer (type)", "Output Shape", "Param #"], bar: "┃")
        text += rule("┡", "━", "╇", "┩")
        let shapes = layerOutputShapes
        for (i, layer) in layers.enumerated() {
            let shape = i < shapes.count ? shapeString([nil] + shapes[i].map { Optional($0) }) : "?"
            text += row(["\(layer.name) (\(layer.className))", shape, groupedThousands(layer.countParams())], bar: "│")
            if i + 1 < layers.count { text += rule("├", "─", "┼", "┤") }
        }
        text += rule("└", "─", "┴", "┘")
        let trainable = trainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let frozen = nonTrainableWeights.reduce(0) { $0 + $1.shape.reduce(1, *) }
        text += " Total params: \(groupedThousands(trainable + frozen)) (\(memorySize(trainable + frozen)))\n"
        text += " Trainable params: \(groupedThousands(trainable)) (\(memorySize(trainable)))\n"
        text += " Non-trainable params: \(groupedThousands(frozen)) (\(memorySize(frozen)))\n"
        return text
    }
}

/// Greedy word wrap; words longer than `width` are split.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ").map(String.init) {
        var word = word
        while word.count > width {
            if !current.isEmpty { lines.append(current); current = "" }
            lines.append(String(word.prefix(width)))
            word = String(word.dropFirst(width))
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

/// Float32 parameter memory in Keras's units: "2.53 MB", "0.00 B".
func memorySize(_ params: Int) -> String {
    var size = Double(params * 4)
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
