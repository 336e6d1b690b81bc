/// A problem with the contents of a saved model (its config or its weights). The loaders
/// turn it into a `KerasError.fileError` naming the file and the part of it at fault.
struct SavingError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A layer's configuration as `fromConfig` reads it (the `config` of a serialized layer):
/// typed getters that throw errors naming the layer and the key, and that note which
/// keys were read, so that a key nobody read is reported instead of silently ignored.
///
/// ```swift
/// override class func fromConfig(_ config: LayerConfig) throws -> Layer {
///     Scale(factor: try config.float("factor"), name: config.name)
/// }
/// ```
public final class LayerConfig {
    /// The class name the configuration was registered under ("Dense", "MyLayers>Scale").
    public let className: String
    /// The raw values.
    public let values: ConfigObject
    private var read: Set<String> = []

    public init(className: String, values: ConfigObject) {
        self.className = className
        self.values = values
    }

    /// The layer's name, or nil when the configuration has none (a fresh name is made).
    public var name: String? { read.insert("name"); return values["name"]?.stringValue }

    /// "layer 'dense_1' (Dense)" for error messages.
    var what: String {
        if let name = values["name"]?.stringValue { return "layer '\(name)' (\(className))" }
        return "layer of class \(className)"
    }

    func problem(_ key: String, _ expected: String, found value: ConfigValue) -> SavingError {
        SavingError("\(what): '\(key)' must be \(expected), found \(value.excerpt)")
    }

    /// The value of `key` (nil when missing or null), marking it read.
    public func value(_ key: String) -> ConfigValue? {
        read.insert(key)
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    private func required(_ key: String) throws -> ConfigValue {
        guard let value = value(key) else { throw SavingError("\(what): the config has no '\(key)'") }
        return value
    }

    public func int(_ key: String) throws -> Int {
        let value = try required(key)
        guard let i = value.intValue else { throw problem(key, "an integer", found: value) }
        return i
    }

    public func int(_ key: String, default fallback: Int) throws -> Int {
        guard value(key) != nil else { return fallback }
        return try int(key)
    }

    public func double(_ key: String) throws -> Double {
        let value = try required(key)
        guard let d = value.doubleValue else { throw problem(key, "a number", found: value) }
        return d
    }

    public func float(_ key: String) throws -> Float { Float(try double(key)) }

    public func float(_ key: String, default fallback: Float) throws -> Float {
        guard value(key) != nil else { return fallback }
        return try float(key)
    }

    /// A number or null (Keras's `clipnorm=None`).
    public func optionalFloat(_ key: String) throws -> Float? {
        guard value(key) != nil else { return nil }
        return try float(key)
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = value(key) else { return fallback }
        guard let b = value.boolValue else { throw problem(key, "true or false", found: value) }
        return b
    }

    public func string(_ key: String) throws -> String {
        let value = try required(key)
        guard let s = value.stringValue else { throw problem(key, "a string", found: value) }
        return s
    }

    public func string(_ key: String, default fallback: String) throws -> String {
        guard value(key) != nil else { return fallback }
        return try string(key)
    }

    /// A list of integers (shapes, axes, dims).
    public func ints(_ key: String) throws -> [Int] {
        let value = try required(key)
        guard let items = value.arrayValue, let ints = Optional(items.compactMap(\.intValue)), ints.count == items.count else {
            throw problem(key, "a list of integers", found: value)
        }
        return ints
    }

    /// Two integers, from `[a, b]` or a single integer `a` (Keras accepts both).
    public func pair(_ key: String) throws -> (Int, Int) {
        let value = try required(key)
        if let i = value.intValue { return (i, i) }
        guard let items = value.arrayValue, items.count == 2, let a = items[0].intValue, let b = items[1].intValue else {
            throw problem(key, "two integers", found: value)
        }
        return (a, b)
    }

    public func optionalPair(_ key: String) throws -> (Int, Int)? {
        guard value(key) != nil else { return nil }
        return try pair(key)
    }

    public func activation(_ key: String, default fallback: Activation = .linear) throws -> Activation {
        guard let value = value(key) else { return fallback }
        guard let name = value.stringValue else {
            throw problem(key, "the name of a built-in activation (a custom activation function cannot be loaded)", found: value)
        }
        let activation = Activation(name: name)
        guard Activation.known.contains(activation) else {
            throw problem(key, "one of " + Activation.known.map(\.name).joined(separator: ", "), found: value)
        }
        return activation
    }

    public func initializer(_ key: String, default fallback: Initializer) throws -> Initializer {
        guard let value = value(key) else { return fallback }
        do { return try Initializer(config: value) } catch let error as SavingError {
            throw SavingError("\(what): '\(key)': \(error.message)")
        }
    }

    public func padding(_ key: String = "padding") throws -> Padding {
        guard let value = value(key) else { return .valid }
        guard let name = value.stringValue, let padding = Padding(rawValue: name.lowercased()) else {
            throw problem(key, "\"valid\" or \"same\"", found: value)
        }
        return padding
    }

    /// A nested serialized layer (a wrapper's `layer`).
    public func layer(_ key: String) throws -> Layer {
        let value = try required(key)
        return try deserializeLayer(value, context: "\(what): '\(key)'")
    }

    /// Keys for features SwiftKeras does not have (regularizers, constraints): each must
    /// be missing or null, otherwise loading would silently change the model.
    public func requireNull(_ keys: String...) throws {
        for key in keys {
            if let value = value(key) {
                throw SavingError("\(what): '\(key)' is not supported by SwiftKeras (only null is), found \(value.excerpt)")
            }
        }
    }

    /// A key whose only supported value is `expected` (missing or null counts as it too).
    public func require(_ key: String, _ expected: ConfigValue) throws {
        if let value = value(key), value != expected, !(value.doubleValue != nil && value.doubleValue == expected.doubleValue) {
            throw SavingError("\(what): '\(key)' must be \(expected.excerpt) in SwiftKeras, found \(value.excerpt)")
        }
    }

    /// Marks keys as read whose values do not change what the layer computes here
    /// (`unroll`, seeds: SwiftKeras draws from its own generator).
    public func ignore(_ keys: String...) { read.formUnion(keys) }

    /// Throws for keys no getter read (Keras's "Unrecognized keyword arguments").
    func checkAllRead() throws {
        let unread = values.keys.filter { !read.contains($0) }
        guard unread.isEmpty else {
            throw SavingError("\(what): unrecognized config key(s) \(unread.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }
}

// MARK: Keras's serialized objects

/// `{"module": ..., "class_name": ..., "config": ..., "registered_name": ...}`, the envelope
/// Keras's `serialize_keras_object` puts around every object.
func kerasObject(module: String, className: String, config: ConfigValue, registeredName: ConfigValue = .null) -> ConfigValue {
    ["module": .string(module), "class_name": .string(className), "config": config, "registered_name": registeredName]
}

/// The float32 dtype policy every SwiftKeras layer has.
let float32Policy = kerasObject(module: "keras", className: "DTypePolicy", config: ["name": "float32"])

/// Checks a layer's `dtype` entry: float32 as a policy object or a string, or null.
func checkDType(_ value: ConfigValue?, what: String) throws {
    guard let value, !value.isNull else { return }
    let name = value.stringValue ?? value.objectValue?["config"]?.objectValue?["name"]?.stringValue
    guard name == "float32" else {
        throw SavingError("\(what): dtype \(value.excerpt) is not supported (SwiftKeras computes in float32)")
    }
}

extension Initializer {
    /// Keras's serialized form: `{"module": "keras.initializers", "class_name": "GlorotUniform", ...}`.
    public var config: ConfigValue {
        func object(_ className: String, _ config: ConfigObject) -> ConfigValue {
            kerasObject(module: "keras.initializers", className: className, config: .object(config))
        }
        let axes: ConfigObject = ["seed": nil, "input_axes": nil, "output_axes": nil]
        switch self {
        case .zeros: return object("Zeros", [:])
        case .ones: return object("Ones", [:])
        case .constant(let value): return object("Constant", ["value": .float(value)])
        case let .randomUniform(low, high):
            return object("RandomUniform", ["seed": nil, "minval": .float(low), "maxval": .float(high)])
        case let .randomNormal(mean, stddev):
            return object("RandomNormal", ["seed": nil, "mean": .float(mean), "stddev": .float(stddev)])
        case let .truncatedNormal(mean, stddev):
            return object("TruncatedNormal", ["seed": nil, "mean": .float(mean), "stddev": .float(stddev)])
        case .glorotUniform: return object("GlorotUniform", axes)
        case .glorotNormal: return object("GlorotNormal", axes)
        case .heUniform: return object("HeUniform", axes)
        case .heNormal: return object("HeNormal", axes)
        case .lecunUniform: return object("LecunUniform", axes)
        case .lecunNormal: return object("LecunNormal", axes)
        case .orthogonal(let gain): return object("Orthogonal", ["seed": nil, "gain": .float(gain)])
        case .unknown(let name): return .string(name)
        }
    }

    /// Reads Keras's serialized initializer: the object form, or a name ("he_normal").
    /// Seeds are accepted and not used (SwiftKeras draws from its own generator).
    init(config value: ConfigValue) throws {
        if let name = value.stringValue {
            let initializer = Initializer(stringLiteral: name)
            if case .unknown = initializer { throw SavingError("unknown initializer '\(name)'") }
            self = initializer
            return
        }
        guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
            throw SavingError("expected an initializer name or object, found \(value.excerpt)")
        }
        let config = object["config"]?.objectValue ?? [:]
        func number(_ key: String, _ fallback: Float) throws -> Float {
            guard let v = config[key], !v.isNull else { return fallback }
            guard let d = v.doubleValue else { throw SavingError("initializer \(className): '\(key)' must be a number, found \(v.excerpt)") }
            return Float(d)
        }
        for key in ["input_axes", "output_axes"] where !(config[key]?.isNull ?? true) {
            throw SavingError("initializer \(className): '\(key)' is not supported, found \(config[key]!.excerpt)")
        }
        switch className {
        case "Zeros", "zeros": self = .zeros
        case "Ones", "ones": self = .ones
        case "Constant": self = .constant(try number("value", 0))
        case "RandomUniform": self = .randomUniform(minval: try number("minval", -0.05), maxval: try number("maxval", 0.05))
        case "RandomNormal": self = .randomNormal(mean: try number("mean", 0), stddev: try number("stddev", 0.05))
        case "TruncatedNormal": self = .truncatedNormal(mean: try number("mean", 0), stddev: try number("stddev", 0.05))
        case "GlorotUniform": self = .glorotUniform
        case "GlorotNormal": self = .glorotNormal
        case "HeUniform": self = .heUniform
        case "HeNormal": self = .heNormal
        case "LecunUniform": self = .lecunUniform
        case "LecunNormal": self = .lecunNormal
        case "Orthogonal": self = .orthogonal(gain: try number("gain", 1))
        case "VarianceScaling":
            // The named initializers are VarianceScaling with these settings.
            let scale = try number("scale", 1)
            let mode = config["mode"]?.stringValue ?? "fan_in"
            let distribution = config["distribution"]?.stringValue ?? "truncated_normal"
            switch (scale, mode, distribution) {
            case (1, "fan_avg", "uniform"): self = .glorotUniform
            case (1, "fan_avg", "truncated_normal"): self = .glorotNormal
            case (2, "fan_in", "uniform"): self = .heUniform
            case (2, "fan_in", "truncated_normal"): self = .heNormal
            case (1, "fan_in", "uniform"): self = .lecunUniform
            case (1, "fan_in", "truncated_normal"): self = .lecunNormal
            default:
                throw SavingError("VarianceScaling(scale=\(scale), mode=\(mode), distribution=\(distribution)) is not supported")
            }
        default: throw SavingError("unknown initializer class '\(className)'")
        }
    }
}
