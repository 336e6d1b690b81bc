/// The numbers a pass over the data reports (Keras's `logs` dictionary): "loss",
/// "accuracy", "val_loss", per-output names such as "class_out_loss", "learning_rate".
///
/// Keys keep their order: fit sorts them by name, as Keras does before every hook, and a
/// key a callback adds (ReduceLROnPlateau's "learning_rate") goes last, so History, the
/// progress bar and CSVLogger show the same columns in the same order as Keras.
public struct Logs: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var keys: [String] = []
    public private(set) var values: [Float] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, Float)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// The value of `key`; assigning a new key appends it, an existing one keeps its place.
    public subscript(key: String) -> Float? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let index = keys.firstIndex(of: key) {
                if let newValue { values[index] = newValue } else { keys.remove(at: index); values.remove(at: index) }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: Float)> {
        zip(keys, values).lazy.map { (key: $0.0, value: $0.1) }.makeIterator()
    }

    /// These logs with every key of `other` set (added at the end, or replaced in place).
    public func merging(_ other: Logs) -> Logs {
        var merged = self
        for (key, value) in other { merged[key] = value }
        return merged
    }

    /// The keys in Keras's order: sorted by name.
    public func sortedByKey() -> Logs {
        var sorted = Logs()
        for index in keys.indices.sorted(by: { keys[$0] < keys[$1] }) { sorted[keys[index]] = values[index] }
        return sorted
    }

    /// Every key with `prefix` in front ("val_").
    func prefixed(_ prefix: String) -> Logs {
        var result = Logs()
        result.keys = keys.map { prefix + $0 }
        result.values = values
        return result
    }

    /// The (name, value) pairs the progress bar draws.
    var pairs: [(String, Float)] { Array(zip(keys, values)) }

    public var description: String {
        "[" + zip(keys, values).map { "\"\($0)\": \($1)" }.joined(separator: ", ") + "]"
    }
}
