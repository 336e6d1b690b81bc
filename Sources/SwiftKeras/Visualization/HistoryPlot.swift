import Glibc

/// Colours of a picture. Both themes paint their own background, so a picture reads the same
/// on a light or a dark page.
public enum PlotTheme: Sendable {
    case light, dark

    var background: String { self == .light ? "#ffffff" : "#161b22" }
    var border: String { self == .light ? "#d0d7de" : "#30363d" }
    var text: String { self == .light ? "#1f2328" : "#e6edf3" }
    var mutedText: String { self == .light ? "#57606a" : "#8d96a0" }
    var grid: String { self == .light ? "#e6e9ed" : "#262c34" }
    var axis: String { self == .light ? "#8c959f" : "#6e7681" }
    /// Training and validation: blue and orange, told apart by colour-blind readers too, and
    /// by the line (solid, dashed) when printed in grey.
    var training: String { self == .light ? "#0a62c9" : "#58a6ff" }
    var validation: String { self == .light ? "#d4560b" : "#f0883e" }
}

extension History {
    /// Draws the loss and every metric by epoch, training and validation, as Keras users do
    /// with matplotlib: one panel per quantity ("loss", "accuracy", ...), with axes, a legend
    /// and a title. `.svg` is written directly; `.png` and `.pdf` go through `rsvg-convert`
    /// (Debian's librsvg2-bin); the error names the package when it is missing.
    public func plot(to path: String, title: String = "Training history", theme: PlotTheme = .light) throws {
        let format = try PictureFormat.of(path, allowed: [.svg, .png, .pdf], caller: "History.plot")
        guard !epoch.isEmpty, !history.isEmpty else {
            throw KerasError.invalidData("History.plot(to: \"\(path)\"): the history is empty; train for at least one epoch first")
        }
        let svg = svgText(title: title, theme: theme)
        if format == .svg { return try AtomicFile.write(svg, to: path) }
        let source = scratchPath(beside: path, suffix: ".svg")
        try AtomicFile.write(svg, to: source)
        defer { unlink(source) }
        // Twice the SVG's size: sharp on high-density screens, 1,840 pixels wide for two panels.
        try AtomicFile.write(to: path) { temporary in
            try PictureTool.rsvg.run(["--zoom", "2", "--format", format.rawValue, "--output", temporary, source],
                                     output: path, caller: "History.plot")
        }
    }

    /// The picture as SVG text: panels two to a row, each a quantity with its training and
    /// (when present) validation values by epoch (1-based, as Keras prints "Epoch 1/N").
    public func svgText(title: String = "Training history", theme: PlotTheme = .light) -> String {
        let panels = plotPanels()
        let columns = Swift.min(2, Swift.max(panels.count, 1))
        let rows = (panels.count + columns - 1) / columns
        let panelWidth = 460.0, panelHeight = 320.0, top = 56.0, gap = 0.0
        let width = Double(columns) * panelWidth, height = top + Double(rows) * (panelHeight + gap) + 8
        var svg = SVGWriter(width: width, height: height, theme: theme)
        svg.rect(x: 0.5, y: 0.5, width: width - 1, height: height - 1, fill: theme.background, stroke: theme.border, radius: 6)
        svg.text(title, x: width / 2, y: 32, size: 20, weight: "bold", anchor: "middle", color: theme.text)
        let epochs = epoch.count
        let subtitle = "\(epochs) epoch\(epochs == 1 ? "" : "s")"
        svg.text(subtitle, x: width / 2, y: 50, size: 12, anchor: "middle", color: theme.mutedText)
        for (i, panel) in panels.enumerated() {
            let x = Double(i % columns) * panelWidth, y = top + Double(i / columns) * (panelHeight + gap)
            drawPanel(panel, into: &svg, x: x, y: y, width: panelWidth, height: panelHeight, theme: theme)
        }
        return svg.finished()
    }

    /// One quantity: its training series and, when recorded, the validation series.
    struct PlotPanel {
        let name: String
        let training: [Float]?
        let validation: [Float]?
    }

    /// Loss first (as Keras lists it), then the other quantities in name order.
    func plotPanels() -> [PlotPanel] {
        var names: [String] = []
        for key in history.keys {
            let base = key.hasPrefix("val_") ? String(key.dropFirst(4)) : key
            if !names.contains(base) { names.append(base) }
        }
        names.sort { a, b in
            let (la, lb) = (a.hasSuffix("loss"), b.hasSuffix("loss"))
            if a == "loss" || b == "loss" { return a == "loss" && b != "loss" }
            return la != lb ? la : a < b
        }
        return names.map { PlotPanel(name: $0, training: history[$0], validation: history["val_" + $0]) }
    }

    private func drawPanel(_ panel: PlotPanel, into svg: inout SVGWriter, x: Double, y: Double,
                           width: Double, height: Double, theme: PlotTheme) {
        let left = x + 64, right = x + width - 20, plotTop = y + 34, bottom = y + height - 48
        svg.text(panel.name, x: (left + right) / 2, y: y + 20, size: 15, weight: "bold", anchor: "middle", color: theme.text)

        let series = [panel.training, panel.validation].compactMap { $0 }
        let values = series.flatMap { $0 }.filter(\.isFinite).map(Double.init)
        let epochs = epoch.count
        let yTicks = niceTicks(low: values.min() ?? 0, high: values.max() ?? 1, count: 5)
        let xTicks = epochTicks(epochs)
        let (yLow, yHigh) = (yTicks.first!, yTicks.last!)
        func px(_ e: Int) -> Double {
            epochs <= 1 ? (left + right) / 2 : left + Double(e - 1) / Double(epochs - 1) * (right - left)
        }
        func py(_ v: Double) -> Double { bottom - (v - yLow) / Swift.max(yHigh - yLow, 1e-12) * (bottom - plotTop) }

        // Grid, axes and tick labels.
        let decimals = tickDecimals(yTicks)
        for tick in yTicks {
            let ty = py(tick)
            svg.line(x1: left, y1: ty, x2: right, y2: ty, color: theme.grid, width: 1)
            svg.text(formatFixed(tick, decimals: decimals), x: left - 8, y: ty + 4, size: 12, anchor: "end", color: theme.mutedText)
        }
        for tick in xTicks {
            let tx = px(tick)
            svg.line(x1: tx, y1: bottom, x2: tx, y2: bottom + 5, color: theme.axis, width: 1)
            svg.text("\(tick)", x: tx, y: bottom + 20, size: 12, anchor: "middle", color: theme.mutedText)
        }
        svg.line(x1: left, y1: bottom, x2: right, y2: bottom, color: theme.axis, width: 1.2)
        svg.line(x1: left, y1: plotTop, x2: left, y2: bottom, color: theme.axis, width: 1.2)
        svg.text("epoch", x: (left + right) / 2, y: bottom + 40, size: 13, anchor: "middle", color: theme.text)
        svg.text(panel.name, x: x + 16, y: (plotTop + bottom) / 2, size: 13, anchor: "middle", color: theme.text, rotate: -90)

        // The series: lines through the finite values (a NaN breaks the line), a dot per epoch.
        let styles: [(values: [Float]?, label: String, color: String, dash: String?)] = [
            (panel.training, "training", theme.training, nil),
            (panel.validation, "validation", theme.validation, "7 4"),
        ]
        for style in styles {
            guard let values = style.values else { continue }
            var segment: [(Double, Double)] = []
            var points: [(Double, Double)] = []
            for (i, value) in values.enumerated() {
                if value.isFinite {
                    let point = (px(i + 1), py(Double(value)))
                    segment.append(point)
                    points.append(point)
                } else {
                    svg.polyline(segment, color: style.color, width: 2.4, dash: style.dash)
                    segment = []
                }
            }
            svg.polyline(segment, color: style.color, width: 2.4, dash: style.dash)
            for point in points where epochs <= 40 {
                svg.circle(x: point.0, y: point.1, radius: 3.2, fill: style.color, stroke: theme.background)
            }
        }

        // Legend, with each series' last value, in the corner of the plot area that the
        // lines cross least (sampled along each line).
        let entries = styles.filter { $0.values != nil }
        func legendText(_ entry: (values: [Float]?, label: String, color: String, dash: String?)) -> String {
            entry.label + (entry.values!.last.map { " " + ($0.isFinite ? formatMetric($0) : String(describing: $0)) } ?? "")
        }
        // About 7 pixels a character at 12 pixels (DejaVu Sans), after the line sample.
        let legendWidth = 50 + 7 * Double(entries.map { legendText($0).count }.max() ?? 10), rowHeight = 18.0
        let legendHeight = rowHeight * Double(entries.count) + 8
        var samples: [(Double, Double)] = []
        for values in series {
            let points = values.enumerated().filter { $0.element.isFinite }.map { (px($0.offset + 1), py(Double($0.element))) }
            for (a, b) in zip(points, points.dropFirst()) {
                for t in stride(from: 0.0, through: 1.0, by: 0.05) { samples.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)) }
            }
            samples += points
        }
        let corners = [(right - legendWidth - 6, plotTop + 6), (right - legendWidth - 6, bottom - legendHeight - 6),
                       (left + 6, plotTop + 6), (left + 6, bottom - legendHeight - 6)]
        func crossings(_ corner: (Double, Double)) -> Int {
            samples.filter { $0.0 >= corner.0 - 4 && $0.0 <= corner.0 + legendWidth + 4 && $0.1 >= corner.1 - 4 && $0.1 <= corner.1 + legendHeight + 4 }.count
        }
        let (legendX, legendY) = corners.min { crossings($0) < crossings($1) }!
        svg.rect(x: legendX, y: legendY, width: legendWidth, height: legendHeight,
                 fill: theme.background, stroke: theme.border, radius: 4, opacity: 0.92)
        for (row, entry) in entries.enumerated() {
            let ly = legendY + 13 + Double(row) * rowHeight
            svg.line(x1: legendX + 8, y1: ly - 4, x2: legendX + 34, y2: ly - 4, color: entry.color, width: 2.4, dash: entry.dash)
            svg.text(legendText(entry), x: legendX + 40, y: ly, size: 12, anchor: "start", color: theme.text)
        }
    }
}

/// About `count` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering
/// [low, high]; a flat series gets a small range around its value.
func niceTicks(low: Double, high: Double, count: Int) -> [Double] {
    var (low, high) = (low, high)
    if high - low < 1e-9 * Swift.max(1, Swift.abs(high)) {
        let pad = Swift.abs(low) > 1e-6 ? Swift.abs(low) * 0.05 : 0.5
        low -= pad
        high += pad
    }
    let rough = (high - low) / Double(Swift.max(count - 1, 1))
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
    let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
    return stride(from: first, through: last, by: 1).map { $0 * step }
}

/// Decimals that tell the ticks apart.
func tickDecimals(_ ticks: [Double]) -> Int {
    guard ticks.count > 1 else { return 2 }
    let step = ticks[1] - ticks[0]
    let mantissa = step / pow(10, log10(step).rounded(.down))
    return Swift.max(0, Swift.min(6, Int((-log10(step)).rounded(.up)) + (Swift.abs(mantissa - 2.5) < 1e-6 ? 1 : 0)))
}

/// Epoch numbers to label: every epoch when there are few, else about eight round ones.
func epochTicks(_ epochs: Int) -> [Int] {
    guard epochs > 1 else { return [1] }
    if epochs <= 10 { return Array(1...epochs) }
    let step = [2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].first { epochs / $0 <= 8 } ?? epochs / 8
    return [1] + stride(from: step, through: epochs, by: step).filter { $0 > 1 }
}
