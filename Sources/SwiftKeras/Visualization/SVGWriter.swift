/// Builds an SVG document from a handful of shapes; coordinates in pixels from the top left.
struct SVGWriter {
    private var body = ""
    let width: Double
    let height: Double
    let theme: PlotTheme

    init(width: Double, height: Double, theme: PlotTheme) {
        self.width = width
        self.height = height
        self.theme = theme
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                       radius: Double = 0, opacity: Double = 1) {
        body += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" rx=\"\(n(radius))\" fill=\"\(fill)\""
        if opacity < 1 { body += " fill-opacity=\"\(n(opacity))\"" }
        if let stroke { body += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        body += "/>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String, width: Double, dash: String? = nil) {
        body += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(color)\" stroke-width=\"\(n(width))\""
        if let dash { body += " stroke-dasharray=\"\(dash)\"" }
        body += "/>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], color: String, width: Double, dash: String?) {
        guard points.count > 1 else { return }
        let coordinates = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
        if let dash { body += " stroke-dasharray=\"\(dash)\"" }
        body += "/>\n"
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String, stroke: String) {
        body += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1\"/>\n"
    }

    mutating func text(_ content: String, x: Double, y: Double, size: Double, weight: String = "normal",
                       anchor: String, color: String, rotate: Double? = nil) {
        body += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" font-weight=\"\(weight)\" text-anchor=\"\(anchor)\" fill=\"\(color)\""
        if let rotate { body += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        body += ">\(escapeXML(content))</text>\n"
    }

    func finished() -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        \(body)</svg>

        """
    }

    /// A coordinate with at most two decimals.
    private func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : formatFixed(rounded, decimals: 2)
    }
}

/// Text safe inside XML elements and attributes (and Graphviz HTML labels).
func escapeXML(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}
