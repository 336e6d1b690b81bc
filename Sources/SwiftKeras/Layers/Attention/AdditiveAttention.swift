/// Additive attention (Keras's `AdditiveAttention`, Bahdanau-style): as `Attention`, with
/// the scores `Σ scale · tanh(query + key)` over the features, `scale` a learned vector of
/// the query's dimension (with `useScale`, the default).
public final class AdditiveAttention: Attention {
    public init(useScale: Bool = true, dropout: Float = 0, name: String? = nil) {
        super.init(useScale: useScale, scoreMode: "dot", dropout: dropout, name: name)
    }

    public override func build(inputShape: [Int]) throws {
        guard builtShapes != nil else { throw attentionNeedsSeveralInputs(self, "layer([query, value]) or layer([query, value, key])") }
        if useScale { scale = try addWeight(name: "scale", shape: [inputShape.last!], initializer: .glorotUniform) }
    }

    override func scores(query: Tensor, key: Tensor) throws -> Tensor {
        let terms = try broadcastSum(query, key).tanh()
        return try (scale.map { try terms * $0.value } ?? terms).sum(axes: [-1])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["score_mode"] = Optional<ConfigValue>.none
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        config.ignore("seed")
        return AdditiveAttention(useScale: try config.bool("use_scale", default: true), dropout: try config.float("dropout", default: 0),
                                 name: config.name)
    }
}
