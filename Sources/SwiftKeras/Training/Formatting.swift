import Glibc

/// printf-style "%.Nf" without Foundation.
func formatFixed(_ value: Double, decimals: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([decimals, value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// printf-style "%.Ne".
func formatScientific(_ value: Double, decimals: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([decimals, value]) { vsnprintf(&buffer, buffer.count, "%.*e", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A metric value as Keras's progress bar shows it: 4 decimals, or scientific when tiny.
func formatMetric(_ value: Float) -> String {
    Swift.abs(value) > 1e-3 ? formatFixed(Double(value), decimals: 4) : formatScientific(Double(value), decimals: 4)
}
