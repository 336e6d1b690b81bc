import Glibc

/// A file name with Python `str.format` fields, as ModelCheckpoint takes it:
/// `"weights.{epoch:02d}-{val_loss:.2f}.keras"`. A field names `epoch`, `batch` (integers,
/// 1-based) or a log entry (a number), with an optional format: `d` with a width and zero
/// padding for integers, `f`, `e`, `g` and `%` with a precision for numbers. `{{` and `}}`
/// are literal braces.
struct FileNameTemplate {
    enum Piece {
        case text(String)
        case field(name: String, format: String)
    }

    let template: String
    let pieces: [Piece]

    /// Parses the template; throws on unbalanced braces or an unknown format.
    init(_ template: String, owner: String) throws {
        self.template = template
        var pieces: [Piece] = []
        var text = ""
        var i = template.startIndex
        func fail(_ why: String) -> KerasError {
            KerasError.invalidArgument("\(owner): cannot use the file path \"\(template)\": \(why)")
        }
        while i < template.endIndex {
            let c = template[i]
            let next = template.index(after: i)
            if c == "{" && next < template.endIndex && template[next] == "{" || c == "}" && next < template.endIndex && template[next] == "}" {
                text.append(c)
                i = template.index(after: next)
                continue
            }
            if c == "}" { throw fail("single '}' encountered") }
            if c == "{" {
                guard let close = template[next...].firstIndex(of: "}") else { throw fail("'{' without a closing '}'") }
                let field = template[next..<close]
                let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]), format = parts.count > 1 ? String(parts[1]) : ""
                guard !name.isEmpty, !name.contains("{") else { throw fail("empty or malformed field {\(field)}") }
                guard Self.parse(format) != nil else { throw fail("unknown format '\(format)' for field \(name)") }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.field(name: name, format: format))
                i = template.index(after: close)
                continue
            }
            text.append(c)
            i = next
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// The names of the fields used.
    var fieldNames: [String] {
        pieces.compactMap { if case let .field(name, _) = $0 { return name } else { return nil } }
    }

    /// Fills the fields: integers (epoch, batch) and log values by name.
    func format(integers: [String: Int], logs: Logs, owner: String) throws -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case let .text(text): out += text
            case let .field(name, format):
                let spec = Self.parse(format)!
                if let value = integers[name] {
                    out += try spec.format(integer: value)
                } else if let value = logs[name] {
                    guard let text = spec.format(number: Double(value)) else {
                        throw KerasError.invalidArgument(
                            "\(owner): failed to format the file path \"\(template)\": unknown format code '\(spec.type)' for the number \(name)")
                    }
                    out += text
                } else {
                    let available = (integers.keys.sorted() + logs.keys).joined(separator: ", ")
                    throw KerasError.invalidArgument(
                        "\(owner): failed to format the file path \"\(template)\": it names '\(name)', which is not in the logs (available: \(available))")
                }
            }
        }
        return out
    }

    /// A format spec: [0][width][.precision][type].
    struct Spec {
        var zeroPad = false
        var width = 0
        var precision: Int?
        var type: Character?

        func pad(_ s: String) -> String {
            guard s.count < width else { return s }
            let fill = String(repeating: zeroPad ? "0" : " ", count: width - s.count)
            if zeroPad, s.hasPrefix("-") { return "-" + fill + s.dropFirst() }
            return fill + s
        }

        func format(integer: Int) throws -> String {
            switch type {
            case nil, "d": return pad(String(integer))
            default: return format(number: Double(integer)) ?? pad(String(integer))
            }
        }

        func format(number: Double) -> String? {
            switch type {
            case "f", "F": return pad(formatFixed(number, decimals: precision ?? 6))
            case "e": return pad(formatScientific(number, decimals: precision ?? 6))
            case "%": return pad(formatFixed(number * 100, decimals: precision ?? 6) + "%")
            case "g": return pad(formatGeneral(number, significant: precision ?? 6))
            case nil: return pad(precision.map { formatGeneral(number, significant: $0) } ?? pythonFloat(number))
            default: return nil
            }
        }
    }

    static func parse(_ format: String) -> Spec? {
        var spec = Spec()
        var rest = Substring(format)
        if rest.first == "0" { spec.zeroPad = true; rest = rest.dropFirst() }
        let widthDigits = rest.prefix { $0.isASCII && $0.isNumber }
        spec.width = Int(widthDigits) ?? 0
        rest = rest.dropFirst(widthDigits.count)
        if rest.first == "." {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let precision = Int(digits) else { return nil }
            spec.precision = precision
            rest = rest.dropFirst(digits.count)
        }
        if let type = rest.first {
            guard rest.count == 1, "dfFeg%".contains(type) else { return nil }
            spec.type = type
        }
        return spec
    }
}

/// printf-style "%.Ng" (Python's "g" format for the usual cases).
private func formatGeneral(_ value: Double, significant: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([Swift.max(significant, 1), value]) { vsnprintf(&buffer, buffer.count, "%.*g", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
