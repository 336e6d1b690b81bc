import Glibc

/// Keras's progress display. verbose 1: one bar redrawn in place on a terminal (with
/// Keras's colours), or plain lines every few seconds when stdout is not a terminal;
/// verbose 2: one line per epoch; verbose 0: silent.
struct ProgressBar {
    /// Steps in the pass; nil while unknown (a dataset of unknown cardinality), drawn as
    /// Keras's "     12/Unknown" counter with the elapsed time and no bar.
    var target: Int?
    let verbose: Int
    private let start = ContinuousClock.now
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw: ContinuousClock.Instant?
    /// When the first step ended: later estimates leave it out, as its time includes building
    /// the model and warming up (Keras's `_estimate_step_duration`).
    private var afterFirstStep: ContinuousClock.Instant?
    private var previousWidth = 0
    /// Seconds between plain lines when not on a terminal, so logs stay readable.
    private let plainInterval = 10.0
    private let terminalInterval = 0.05

    init(target: Int?, verbose: Int) {
        self.target = target
        self.verbose = verbose
    }

    /// Redraws after `step` of `target` steps with the running logs.
    mutating func update(step: Int, logs: [(String, Float)]) {
        guard verbose == 1 else { return }
        let now = ContinuousClock.now
        if step == 1 { afterFirstStep = now }
        let finished = target.map { step >= $0 } ?? false
        if !finished, let lastDraw {
            let since = seconds(now - lastDraw)
            if since < (isTerminal ? terminalInterval : plainInterval) { return }
        }
        lastDraw = now
        let elapsed = seconds(now - start)
        let perStep = if let afterFirstStep, step > 1 {
            seconds(now - afterFirstStep) / Double(step - 1)
        } else {
            elapsed / Double(Swift.max(step, 1))
        }
        let metrics = logs.map { " - \($0.0): \(formatMetric($0.1))" }.joined()
        let rest = " " + formatPerStep(perStep) + metrics
        guard let target else {
            // Keras's "%7d/Unknown" form: the elapsed time instead of an estimate.
            let counter = String(repeating: " ", count: Swift.max(0, 7 - String(step).count)) + "\(step)/Unknown"
            let time = formatFixed(elapsed, decimals: 0) + "s"
            if isTerminal {
                let plainWidth = counter.count + 1 + time.count + rest.count
                let padding = String(repeating: " ", count: Swift.max(0, previousWidth - plainWidth))
                previousWidth = plainWidth
                write("\r\(counter) \u{1B}[1m\(time)\u{1B}[0m\(rest)\(padding)")
            } else {
                write("\(counter) \(time)\(rest)\n")
            }
            return
        }
        let digits = String(target).count
        let counter = String(repeating: " ", count: Swift.max(0, digits - String(step).count)) + "\(step)/\(target)"
        let done = Swift.min(20, Int(Double(20 * step) / Double(Swift.max(target, 1))))
        let time = finished ? formatFixed(elapsed, decimals: 0) + "s" : formatETA(perStep * Double(target - step))
        if isTerminal {
            let bar = "\u{1B}[32m" + String(repeating: "━", count: done) + "\u{1B}[0m\u{1B}[37m"
                + String(repeating: "━", count: 20 - done) + "\u{1B}[0m"
            let plainWidth = counter.count + 22 + time.count + rest.count
            let padding = String(repeating: " ", count: Swift.max(0, previousWidth - plainWidth))
            previousWidth = plainWidth
            let line = "\r\u{1B}[1m\(counter)\u{1B}[0m \(bar) \u{1B}[1m\(time)\u{1B}[0m\(rest)\(padding)"
            write(line + (finished ? "\n" : ""))
        } else {
            let bar = String(repeating: "━", count: done) + String(repeating: "─", count: 20 - done)
            write("\(counter) \(bar) \(time)\(rest)\n")
        }
    }

    /// The verbose-2 line at the end of an epoch: "469/469 - 18s - 37ms/step - loss: ...".
    func epochLine(logs: [(String, Float)]) {
        guard verbose == 2 else { return }
        let elapsed = seconds(ContinuousClock.now - start)
        let metrics = logs.map { " - \($0.0): \(formatMetric($0.1))" }.joined()
        let steps = target ?? 0
        write("\(steps)/\(steps) - \(formatFixed(elapsed, decimals: 0))s - \(formatPerStep(elapsed / Double(Swift.max(steps, 1))))\(metrics)\n")
    }

    private func write(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }
}

func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}

/// "37ms/step", "2s/step", "450us/step".
func formatPerStep(_ seconds: Double) -> String {
    if seconds >= 1 { return formatFixed(seconds, decimals: 0) + "s/step" }
    if seconds >= 1e-3 { return formatFixed(seconds * 1e3, decimals: 0) + "ms/step" }
    return formatFixed(seconds * 1e6, decimals: 0) + "us/step"
}

/// "16s", "1:05", "1:02:03".
func formatETA(_ seconds: Double) -> String {
    let s = Int(seconds.rounded(.down))
    if s >= 3600 {
        return "\(s / 3600):" + twoDigits((s % 3600) / 60) + ":" + twoDigits(s % 60)
    }
    if s >= 60 { return "\(s / 60):" + twoDigits(s % 60) }
    return "\(s)s"
}

private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
