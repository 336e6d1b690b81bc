import CSV
import Foundation

/// A CSV column, by position (from 0; negative counts from the end, -1 is the last) or by
/// its header name.
public enum CSVColumn: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    case index(Int)
    case name(String)

    public init(integerLiteral value: Int) { self = .index(value) }
    public init(stringLiteral value: String) { self = .name(value) }
}

/// Reads a CSV file of numbers into a (rows, columns) tensor.
///
/// Fields follow RFC 4180 (quoted fields may hold delimiters, doubled quotes and line
/// breaks); the parser is CSV.swift's streaming reader. Blank lines are skipped, fields are
/// trimmed of spaces. A field that is empty or one of pandas's missing-value spellings
/// ("NA", "N/A", "NaN", "nan", "null", "None", ...) is a missing value: an error naming its row
/// and column unless `fillMissing` gives a value to use. Rows are counted from 1 over the
/// file's records, the header included, so without quoted line breaks a row is a line.
public func loadCSV(_ path: String, header: Bool = true, delimiter: Character = ",",
                    fillMissing: Float? = nil) throws -> Tensor {
    let table = try CSVTable(path: path, header: header, delimiter: delimiter)
    return try table.features(excluding: nil, fillMissing: fillMissing)
}

/// Reads a CSV file into features (rows, columns - 1) and labels (rows) (the way a Keras
/// user splits a pandas frame into `x` and `y`).
///
/// The label column holds numbers, used as they are, or class names, which become indices:
/// into `classNames` when given, else into the sorted distinct names (as Keras orders class
/// folders). A column mixing numbers and names is an error naming the first odd row.
/// See `loadCSV(_:header:delimiter:fillMissing:)` for the format and missing values; a
/// missing label is always an error.
public func loadCSV(_ path: String, labelColumn: CSVColumn, header: Bool = true, delimiter: Character = ",",
                    classNames: [String]? = nil, fillMissing: Float? = nil) throws -> (features: Tensor, labels: Tensor) {
    let table = try CSVTable(path: path, header: header, delimiter: delimiter)
    let label = try table.columnIndex(labelColumn)
    let features = try table.features(excluding: label, fillMissing: fillMissing)
    return (features, try table.labels(label, classNames: classNames))
}

/// A whole CSV file as text fields, with the row number of each record for messages.
struct CSVTable {
    let path: String
    let columnNames: [String]
    let hasHeader: Bool
    var rows: [[String]] = []
    /// The file row (from 1, header included) of each entry of `rows`.
    var rowNumbers: [Int] = []

    /// pandas's default missing-value spellings (`na_values`).
    static let missingSpellings: Set<String> = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
        "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ]

    init(path: String, header: Bool, delimiter: Character) throws {
        self.path = path
        hasHeader = header
        guard let separator = delimiter.unicodeScalars.first, delimiter.unicodeScalars.count == 1,
              separator != "\"", separator != "\n", separator != "\r" else {
            throw KerasError.invalidArgument("loadCSV: delimiter must be one character other than a quote or line break, received \"\(delimiter)\"")
        }
        guard FileManager.default.isReadableFile(atPath: path), let stream = InputStream(fileAtPath: path) else {
            throw KerasError.fileError(path: path, message: "file not found or not readable")
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: false, trimFields: true, delimiter: separator)
        } catch {
            throw KerasError.fileError(path: path, message: "cannot read the file (\(error))")
        }
        var names: [String]?
        var record = 0
        while let fields = reader.next() {
            record += 1
            if fields.count == 1 && fields[0].isEmpty { continue }
            if names == nil {
                var first = fields
                if let bom = first.first, bom.hasPrefix("\u{FEFF}") { first[0] = String(bom.dropFirst()) }
                if header {
                    names = first
                    continue
                }
                names = (1...first.count).map { "column \($0)" }
                rows.append(first)
                rowNumbers.append(record)
                continue
            }
            guard fields.count == names!.count else {
                throw KerasError.fileError(
                    path: path,
                    message: "row \(record) has \(fields.count) field\(fields.count == 1 ? "" : "s"), expected \(names!.count) (as in \(header ? "the header" : "the first row")); a missing column, an extra delimiter or an unclosed quote")
            }
            rows.append(fields)
            rowNumbers.append(record)
        }
        // At the end of a file the reader records `cannotReadFile` (Foundation's file streams
        // on Linux report bytes available until a read returns none); real read errors come as
        // `streamErrorHasOccurred`.
        if let error = reader.error, !(error is CSVError && "\(error)" == "\(CSVError.cannotReadFile)") {
            let what = "\(error)" == "\(CSVError.unicodeDecoding)" ? "not UTF-8 text" : "read error (\(error))"
            throw KerasError.fileError(path: path, message: "unreadable after row \(record): \(what)")
        }
        guard let names, !rows.isEmpty else {
            throw KerasError.fileError(path: path, message: "no data rows")
        }
        columnNames = names
    }

    func describe(column: Int) -> String {
        hasHeader ? "column \(column + 1) (\"\(columnNames[column])\")" : "column \(column + 1)"
    }

    func columnIndex(_ column: CSVColumn) throws -> Int {
        switch column {
        case let .index(i):
            let index = i < 0 ? columnNames.count + i : i
            guard index >= 0, index < columnNames.count else {
                throw KerasError.invalidArgument("loadCSV(\(path)): labelColumn \(i) is out of range for \(columnNames.count) columns")
            }
            return index
        case let .name(name):
            guard hasHeader, let index = columnNames.firstIndex(of: name) else {
                throw KerasError.invalidArgument(
                    hasHeader ? "loadCSV(\(path)): no column named \"\(name)\"; the header has \(columnNames.map { "\"\($0)\"" }.joined(separator: ", "))"
                        : "loadCSV(\(path)): labelColumn \"\(name)\" names a column, but header is false")
            }
            return index
        }
    }

    /// Every column but `excluded`, as numbers.
    func features(excluding excluded: Int?, fillMissing: Float?) throws -> Tensor {
        let columns = columnNames.indices.filter { $0 != excluded }
        let out = Tensor(uninitializedShape: [rows.count, columns.count])
        let p = out.storage.pointer
        for (r, fields) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                let field = fields[column]
                if Self.missingSpellings.contains(field) {
                    guard let fillMissing else {
                        throw KerasError.fileError(
                            path: path, message: "row \(rowNumbers[r]), \(describe(column: column)): missing value\(field.isEmpty ? "" : " \"\(field)\""); pass fillMissing: to replace missing values")
                    }
                    p[r * columns.count + c] = fillMissing
                    continue
                }
                guard let value = Float(field) else {
                    throw KerasError.fileError(
                        path: path, message: "row \(rowNumbers[r]), \(describe(column: column)): cannot read \"\(field.prefix(80))\" as a number")
                }
                p[r * columns.count + c] = value
            }
        }
        return out
    }

    /// The label column as numbers, or as class indices when it holds names.
    func labels(_ column: Int, classNames: [String]?) throws -> Tensor {
        let fields = rows.map { $0[column] }
        for (r, field) in fields.enumerated() where Self.missingSpellings.contains(field) {
            throw KerasError.fileError(path: path, message: "row \(rowNumbers[r]), \(describe(column: column)): missing label")
        }
        let numbers = fields.map { Float($0) }
        if classNames == nil, numbers.allSatisfy({ $0 != nil }) { return Tensor(numbers.map { $0! }) }
        if classNames == nil, let odd = numbers.firstIndex(where: { $0 != nil }) {
            let named = numbers.firstIndex { $0 == nil }!
            throw KerasError.fileError(
                path: path,
                message: "\(describe(column: column)) mixes numbers (row \(rowNumbers[odd]): \"\(fields[odd])\") and class names (row \(rowNumbers[named]): \"\(fields[named])\")")
        }
        let classes = classNames ?? Array(Set(fields)).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return Tensor(try fields.enumerated().map { r, field in
            guard let i = index[field] else {
                throw KerasError.fileError(
                    path: path, message: "row \(rowNumbers[r]), \(describe(column: column)): label \"\(field)\" is not one of classNames \(classes)")
            }
            return Float(i)
        })
    }
}
