// Regularizers and constraints in Keras's serialized form, and the LayerConfig getters the
// newer layers read their arguments with (axes given as one integer or a list, 1-D
// windows, regularizers, constraints).

extension Regularizer {
    /// `{"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, ...}`.
    /// Keras keeps L1's factor and OrthogonalRegularizer's as float32 tensors, so they are
    /// written as the float32 value's exact decimal, the others as given.
    public var config: ConfigValue {
        func object(_ config: ConfigObject) -> ConfigValue {
            kerasObject(module: "keras.regularizers", className: className, config: .object(config))
        }
        switch kind {
        case let .l1l2(l1, l2):
            switch className {
            case "L1": return object(["l1": .double(Double(l1))])
            case "L2": return object(["l2": .float(l2)])
            default: return object(["l1": .float(l1), "l2": .float(l2)])
            }
        case let .orthogonal(factor, rows):
            return object(["factor": .double(Double(factor)), "mode": .string(rows ? "rows" : "columns")])
        case let .unknown(name): return .string(name)
        }
    }

    /// Reads Keras's serialized regularizer: the object form or an identifier ("l2").
    init(config value: ConfigValue) throws {
        if let name = value.stringValue {
            let regularizer = Regularizer(stringLiteral: name)
            if case .unknown = regularizer.kind { throw SavingError("unknown regularizer '\(name)'") }
            self = regularizer
            return
        }
        guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
            throw SavingError("expected a regularizer name or object, found \(value.excerpt)")
        }
        let config = object["config"]?.objectValue ?? [:]
        func number(_ key: String, _ fallback: Float) throws -> Float {
            guard let v = config[key], !v.isNull else { return fallback }
            guard let d = v.doubleValue else { throw SavingError("regularizer \(className): '\(key)' must be a number, found \(v.excerpt)") }
            return Float(d)
        }
        switch className {
        case "L1": self = .l1(try number("l1", 0.01))
        case "L2": self = .l2(try number("l2", 0.01))
        case "L1L2": self = .l1l2(l1: try number("l1", 0), l2: try number("l2", 0))
        case "OrthogonalRegularizer":
            let mode = config["mode"]?.stringValue ?? "rows"
            guard mode == "rows" || mode == "columns" else {
                throw SavingError("regularizer OrthogonalRegularizer: 'mode' must be \"rows\" or \"columns\", found \(mode)")
            }
            self = .orthogonal(factor: try number("factor", 0.01), mode: mode)
        default: throw SavingError("unknown regularizer class '\(className)'")
        }
    }
}

extension Constraint {
    /// `{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}, ...}`.
    public var config: ConfigValue {
        func axes(_ axis: [Int]) -> ConfigValue { axis.count == 1 ? .int(axis[0]) : .array(axis.map { .int($0) }) }
        /// An integral max_value is written as Keras's integer default is (MaxNorm(3)).
        func number(_ x: Float) -> ConfigValue { x == x.rounded() && Swift.abs(x) < 1e9 ? .int(Int(x)) : .float(x) }
        let body: ConfigObject
        switch kind {
        case let .maxNorm(maxValue, axis): body = ["max_value": number(maxValue), "axis": axes(axis)]
        case .nonNeg: body = [:]
        case let .unitNorm(axis): body = ["axis": axes(axis)]
        case let .minMaxNorm(minValue, maxValue, rate, axis):
            body = ["min_value": .float(minValue), "max_value": .float(maxValue), "rate": .float(rate), "axis": axes(axis)]
        case let .unknown(name): return .string(name)
        }
        return kerasObject(module: "keras.constraints", className: className, config: .object(body))
    }

    /// Reads Keras's serialized constraint: the object form or an identifier ("max_norm").
    init(config value: ConfigValue) throws {
        if let name = value.stringValue {
            let constraint = Constraint(stringLiteral: name)
            if case .unknown = constraint.kind { throw SavingError("unknown constraint '\(name)'") }
            self = constraint
            return
        }
        guard let object = value.objectValue, let className = object["class_name"]?.stringValue else {
            throw SavingError("expected a constraint name or object, found \(value.excerpt)")
        }
        let config = object["config"]?.objectValue ?? [:]
        func number(_ key: String, _ fallback: Float) throws -> Float {
            guard let v = config[key], !v.isNull else { return fallback }
            guard let d = v.doubleValue else { throw SavingError("constraint \(className): '\(key)' must be a number, found \(v.excerpt)") }
            return Float(d)
        }
        func axes() throws -> [Int] {
            guard let v = config["axis"], !v.isNull else { return [0] }
            if let i = v.intValue { return [i] }
            guard let items = v.arrayValue, case let ints = items.compactMap(\.intValue), ints.count == items.count else {
                throw SavingError("constraint \(className): 'axis' must be an integer or a list of integers, found \(v.excerpt)")
            }
            return ints
        }
        switch className {
        case "MaxNorm": self = Constraint(.maxNorm(maxValue: try number("max_value", 2), axis: try axes()))
        case "NonNeg": self = .nonNeg
        case "UnitNorm": self = Constraint(.unitNorm(axis: try axes()))
        case "MinMaxNorm":
            self = Constraint(.minMaxNorm(minValue: try number("min_value", 0), maxValue: try number("max_value", 1),
                                          rate: try number("rate", 1), axis: try axes()))
        default: throw SavingError("unknown constraint class '\(className)'")
        }
    }
}

extension Optional where Wrapped == Regularizer {
    /// The serialized regularizer, or null.
    var config: ConfigValue { map(\.config) ?? .null }
}

extension Optional where Wrapped == Constraint {
    /// The serialized constraint, or null.
    var config: ConfigValue { map(\.config) ?? .null }
}

extension LayerConfig {
    /// A regularizer argument ("kernel_regularizer"), or nil when missing or null.
    public func regularizer(_ key: String) throws -> Regularizer? {
        guard let value = value(key) else { return nil }
        do { return try Regularizer(config: value) } catch let error as SavingError {
            throw SavingError("\(what): '\(key)': \(error.message)")
        }
    }

    /// A constraint argument ("kernel_constraint"), or nil when missing or null.
    public func constraint(_ key: String) throws -> Constraint? {
        guard let value = value(key) else { return nil }
        do { return try Constraint(config: value) } catch let error as SavingError {
            throw SavingError("\(what): '\(key)': \(error.message)")
        }
    }

    /// Axes given as one integer or a list of integers (Keras's `axis`), or nil when missing.
    public func axes(_ key: String) throws -> [Int]? {
        guard let value = value(key) else { return nil }
        if let i = value.intValue { return [i] }
        return try ints(key)
    }

    /// One integer, given as `a` or `[a]` (a 1-D layer's kernel_size, strides, pool_size).
    public func single(_ key: String) throws -> Int {
        guard let value = value(key) else { throw SavingError("\(what): the config has no '\(key)'") }
        if let i = value.intValue { return i }
        guard let items = value.arrayValue, items.count == 1, let i = items[0].intValue else {
            throw problem(key, "an integer or a list of one integer", found: value)
        }
        return i
    }

    public func single(_ key: String, default fallback: Int) throws -> Int {
        guard value(key) != nil else { return fallback }
        return try single(key)
    }

    /// ((a, b), (c, d)) from an integer, [a, b] (each symmetric) or [[a, b], [c, d]]
    /// (Keras's ZeroPadding2D padding and Cropping2D cropping).
    func pairOfPairs(_ key: String, default fallback: ((Int, Int), (Int, Int))) throws -> ((Int, Int), (Int, Int)) {
        guard let value = value(key) else { return fallback }
        if let i = value.intValue { return ((i, i), (i, i)) }
        guard let items = value.arrayValue, items.count == 2 else { throw problem(key, "an integer or a pair", found: value) }
        if let a = items[0].intValue, let b = items[1].intValue { return ((a, a), (b, b)) }
        let inner = items.map { $0.arrayValue?.compactMap(\.intValue) ?? [] }
        guard inner.allSatisfy({ $0.count == 2 }) else { throw problem(key, "two pairs of integers", found: value) }
        return ((inner[0][0], inner[0][1]), (inner[1][0], inner[1][1]))
    }

    /// "channels_last" (or missing): the only data format SwiftKeras computes in.
    func requireChannelsLast() throws { try require("data_format", "channels_last") }
}

/// `[[a, b], [c, d]]`.
func pairOfPairsConfig(_ value: ((Int, Int), (Int, Int))) -> ConfigValue {
    [[.int(value.0.0), .int(value.0.1)], [.int(value.1.0), .int(value.1.1)]]
}
