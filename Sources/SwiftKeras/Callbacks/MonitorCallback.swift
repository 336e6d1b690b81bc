/// Whether a monitored quantity should fall (`.min`), rise (`.max`), or whichever its name
/// implies (`.auto`: losses fall, accuracies rise). Keras's strings work too: "min".
public struct MonitorMode: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let name: String
    public init(stringLiteral value: String) { name = value }
    public static let auto: MonitorMode = "auto"
    public static let min: MonitorMode = "min"
    public static let max: MonitorMode = "max"
    public var description: String { name }
}

/// The base of callbacks that watch one entry of the epoch logs and act when it stops
/// improving (Keras's `MonitorCallback`): EarlyStopping, ReduceLROnPlateau, ModelCheckpoint.
///
/// A value improves on the reference when it is lower by more than `minDelta` (mode min)
/// or higher by more than `minDelta` (mode max). Arguments are checked when fit starts:
/// a bad one throws there, naming the callback and the argument.
open class MonitorCallback: Callback {
    public let monitor: String
    public let mode: MonitorMode
    /// The smallest change that counts as an improvement (its absolute value).
    public let minDelta: Double
    /// The best value seen so far (nil before the first).
    public internal(set) var best: Double?
    /// True for mode min (resolved from the name for auto), set when fit starts.
    private var lowerIsBetter: Bool?
    private var warnedMissing = false

    public init(monitor: String, mode: MonitorMode, minDelta: Double, best: Double? = nil) {
        self.monitor = monitor
        self.mode = mode
        self.minDelta = Swift.abs(minDelta)
        self.best = best
    }

    /// Keras's class name, for messages.
    var callbackName: String { String(describing: type(of: self)) }

    /// Throws on bad arguments and resolves the mode; subclasses call it first in onTrainBegin.
    func checkMonitor() throws {
        switch mode {
        case .min: lowerIsBetter = true
        case .max: lowerIsBetter = false
        case .auto: lowerIsBetter = try autoDirection()
        default:
            throw KerasError.invalidArgument("\(callbackName): mode must be one of auto, min, max; received '\(mode.name)'")
        }
    }

    /// Losses fall; a compiled metric goes its direction (accuracies up, errors down); Keras
    /// cannot tell for other names.
    private func autoDirection() throws -> Bool {
        let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        if name == "loss" || name.hasSuffix("_loss") { return true }
        if let model, let settings = model.compiled {
            let prefixes = settings.losses.count > 1 ? model.outputNames.map { $0 + "_" } : [""]
            for (o, metrics) in settings.metrics.enumerated() {
                if let direction = metrics.first(where: { prefixes[o] + $0.name == name })?.direction { return direction == .down }
            }
        }
        throw KerasError.invalidArgument(
            "\(callbackName) callback received monitor=\(monitor), but SwiftKeras cannot tell whether that metric should be maximized or minimized. Pass mode: .max to monitor the highest value, or mode: .min for the lowest.")
    }

    /// The monitored value in `logs`; warns once (and returns nil) when it is missing.
    func monitoredValue(_ logs: Logs, missing message: String) -> Double? {
        if let value = logs[monitor] { return Double(value) }
        if !warnedMissing {
            warnedMissing = true
            printWarning("\(message) conditioned on metric `\(monitor)` which is not available. Available metrics are: \(logs.keys.joined(separator: ","))")
        }
        return nil
    }

    /// Whether `value` improves on `reference` by more than `minDelta` (always, with no reference).
    func isImprovement(_ value: Double, over reference: Double?) -> Bool {
        guard let reference else { return true }
        return lowerIsBetter ?? true ? value + minDelta < reference : value - minDelta > reference
    }
}
