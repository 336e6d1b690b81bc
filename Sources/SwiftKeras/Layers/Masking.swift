/// Marks the steps of (batch, steps, features) whose features all equal `maskValue` as
/// padding (Keras's `Masking`): their outputs are zeros, and later layers that use masks
/// (recurrent layers, GlobalAveragePooling1D, the loss) skip them.
public final class Masking: Layer {
    public let maskValue: Float

    public init(maskValue: Float = 0, inputShape: [Int]? = nil, name: String? = nil) {
        self.maskValue = maskValue
        super.init(name: name, inputShape: inputShape)
    }

    public override var supportsMasking: Bool { true }

    public override func inputSpec() -> InputSpec { InputSpec(minNdim: 2) }

    /// 1 where any feature differs from maskValue, over every axis but the last.
    private func keep(_ input: Tensor) -> Tensor {
        let width = input.shape.last ?? 1
        let steps = Tensor(uninitializedShape: Array(input.shape.dropLast()))
        let p = input.storage.pointer, o = steps.storage.pointer, value = maskValue
        for r in 0..<steps.count {
            var any = false
            for j in 0..<width where p[r * width + j] != value { any = true; break }
            o[r] = any ? 1 : 0
        }
        return steps
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? { keep(input.detached) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let steps = keep(input.detached)
        return try input * steps.reshaped(steps.shape + [1])
    }

    public override var buildConfig: ConfigObject? { nil }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["mask_value"] = .float(maskValue)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Masking(maskValue: try config.float("mask_value", default: 0), name: config.name)
    }
}
