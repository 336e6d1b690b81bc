/// Writes each epoch's logs as a row of a CSV file (Keras's `CSVLogger`), with Keras's
/// columns: "epoch", then the log names sorted, then the "val_" names (filled with "NA"
/// until validation runs), Python's number formatting and "\r\n" line ends.
///
/// With `append`, rows go after an existing file's (the header only if it was empty). The
/// file is replaced atomically after every epoch, so a crash never leaves half a row.
public final class CSVLogger: Callback {
    public let filename: String
    public let separator: String
    public let append: Bool
    private var content: [UInt8] = []
    private var keys: [String]?
    private var writeHeader = true

    public init(_ filename: String, separator: String = ",", append: Bool = false) {
        self.filename = filename
        self.separator = separator
        self.append = append
    }

    public override func onTrainBegin() throws {
        guard separator.count == 1, separator != "\"", separator != "\r", separator != "\n" else {
            throw KerasError.invalidArgument("CSVLogger: separator must be a single character other than a quote or line end, received \"\(separator)\"")
        }
        content = append ? try Files.read(filename) ?? [] : []
        writeHeader = content.isEmpty || content.first == UInt8(ascii: "\n") || content.first == UInt8(ascii: "\r")
        keys = nil
        try AtomicFile.write(content, to: filename)
    }

    public override func onEpochEnd(_ epoch: Int, logs: inout Logs) throws {
        if keys == nil {
            var names = logs.keys.sorted()
            if !names.isEmpty && !names.contains(where: { $0.hasPrefix("val_") }) { names += names.map { "val_" + $0 } }
            keys = names
        }
        let columns = keys ?? []
        if writeHeader {
            writeHeader = false
            appendRow(["epoch"] + columns)
        }
        appendRow(["\(epoch)"] + columns.map { key in logs[key].map { pythonFloat(Double($0)) } ?? "NA" })
        try AtomicFile.write(content, to: filename)
    }

    /// One row as Python's csv module writes it (excel dialect, minimal quoting).
    private func appendRow(_ fields: [String]) {
        let quoted = fields.map { field -> String in
            let needsQuotes = field.contains(separator) || field.contains("\"") || field.contains("\r") || field.contains("\n")
            return needsQuotes ? "\"" + field.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : field
        }
        content += Array((quoted.joined(separator: separator) + "\r\n").utf8)
    }
}

/// `repr(float)` in Python: the shortest text that reads back as the same Double.
func pythonFloat(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return value.description
}
