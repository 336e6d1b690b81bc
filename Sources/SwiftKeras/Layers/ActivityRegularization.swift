/// Passes its input through unchanged and adds l1 · Σ|x| + l2 · Σx² of it, divided by the
/// batch size, to the training loss (Keras's `ActivityRegularization`).
public final class ActivityRegularization: Layer {
    public let l1: Float
    public let l2: Float

    public init(l1: Float = 0, l2: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.l1 = l1
        self.l2 = l2
        super.init(name: name, inputShape: inputShape)
        activityRegularizer = .l1l2(l1: l1, l2: l2)
    }

    public override var supportsMasking: Bool { true }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor { input }

    public override var buildConfig: ConfigObject? { nil }

    /// Keras writes l1 and l2, not the regularizer they make.
    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["activity_regularizer"] = nil
        config.merge(["l1": .float(l1), "l2": .float(l2)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        ActivityRegularization(l1: try config.float("l1", default: 0), l2: try config.float("l2", default: 0), name: config.name)
    }
}
