import Glibc

/// Writes "UserWarning: ..." to standard error, as Python's warnings do: for conditions
/// Keras warns about rather than raises (a monitored metric missing from the logs).
func printWarning(_ message: String) {
    var text = "UserWarning: " + message + "\n"
    text.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
