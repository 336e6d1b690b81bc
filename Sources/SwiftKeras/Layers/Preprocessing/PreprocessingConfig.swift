/// Numbers of a preprocessing layer's config as Keras wrote them. The layers compute in
/// Float, which cannot hold 1/255 or 0.1 exactly; a layer loaded from a config writes back the
/// recorded Double while its Float still equals it, so configs round-trip unchanged.
struct RecordedNumbers {
    private var values: [String: Double] = [:]

    mutating func record(_ key: String, _ config: LayerConfig) {
        if let d = config.values[key]?.doubleValue { values[key] = d }
    }

    func value(_ key: String, _ current: Float) -> ConfigValue {
        if let d = values[key], Float(d) == current { return .double(d) }
        return .double(Double(current))
    }
}

extension LayerConfig {
    /// A Keras factor: a number f, or a list [lower, upper].
    func factor(_ key: String) throws -> (range: (Float, Float), value: ConfigValue)? {
        guard let value = value(key) else { return nil }
        if let d = value.doubleValue { return ((-Float(Swift.abs(d)), Float(Swift.abs(d))), value) }
        guard let items = value.arrayValue, items.count == 2, let a = items[0].doubleValue, let b = items[1].doubleValue else {
            throw problem(key, "a number or a list of two numbers", found: value)
        }
        return ((Float(a), Float(b)), value)
    }

    func fillMode(_ key: String = "fill_mode", default fallback: FillMode) throws -> FillMode {
        let name = try string(key, default: fallback.rawValue)
        guard let mode = FillMode(rawValue: name) else { throw problem(key, "one of reflect, wrap, constant, nearest", found: .string(name)) }
        return mode
    }

    func interpolation(_ key: String = "interpolation") throws -> Interpolation {
        let name = try string(key, default: "bilinear")
        guard let mode = Interpolation(rawValue: name) else {
            throw problem(key, "\"bilinear\" or \"nearest\" (the interpolations SwiftKeras has)", found: .string(name))
        }
        return mode
    }

    func seed(_ key: String = "seed") throws -> UInt64? {
        guard let value = value(key) else { return nil }
        guard let i = value.intValue, i >= 0 else { throw problem(key, "a non-negative integer or null", found: value) }
        return UInt64(i)
    }
}

func seedConfig(_ seed: UInt64?) -> ConfigValue { seed.map { .int(Int($0)) } ?? .null }
