/// Adds zero-mean Gaussian noise of standard deviation `stddev` in training (Keras's
/// `GaussianNoise`, a regularizer); in inference it is the identity.
public final class GaussianNoise: Layer {
    public let stddev: Float

    public init(_ stddev: Float, inputShape: [Int]? = nil, name: String? = nil) {
        self.stddev = stddev
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func build(inputShape: [Int]) throws {
        // Keras accepts only [0, 1].
        guard stddev >= 0, stddev <= 1 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": stddev must be a value between 0 and 1, received \(stddev)")
        }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        guard training, stddev > 0 else { return input }
        var rng = GlobalRandom.makeGenerator()
        return try input + Tensor.randomNormal(input.shape, stddev: stddev, using: &rng)
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["stddev": .float(stddev), "seed": nil])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        config.ignore("seed")
        return GaussianNoise(try config.float("stddev"), name: config.name)
    }
}
