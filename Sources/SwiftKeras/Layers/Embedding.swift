/// Maps integer token ids (batch, time) to vectors (batch, time, outputDim). Table shape
/// (inputDim, outputDim), initialized uniform in [-0.05, 0.05] as in Keras.
public final class Embedding: Layer {
    public let inputDim: Int
    public let outputDim: Int
    /// Treat id 0 as padding: later layers get a mask and skip those steps.
    public let maskZero: Bool
    public let embeddingsInitializer: Initializer
    public let embeddingsRegularizer: Regularizer?
    public let embeddingsConstraint: Constraint?
    public private(set) var embeddings: Variable?

    public init(inputDim: Int, outputDim: Int, embeddingsInitializer: Initializer = .randomUniform(),
                embeddingsRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                embeddingsConstraint: Constraint? = nil,
                maskZero: Bool = false, inputLength: Int? = nil, inputShape: [Int]? = nil, name: String? = nil) {
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        self.embeddingsInitializer = embeddingsInitializer
        self.embeddingsRegularizer = embeddingsRegularizer
        self.embeddingsConstraint = embeddingsConstraint
        super.init(name: name, inputShape: inputShape ?? inputLength.map { [$0] })
        self.activityRegularizer = activityRegularizer
    }

    /// Keras's positional form: `Embedding(10000, 32)`.
    public convenience init(_ inputDim: Int, _ outputDim: Int, maskZero: Bool = false, inputLength: Int? = nil,
                            inputShape: [Int]? = nil, name: String? = nil) {
        self.init(inputDim: inputDim, outputDim: outputDim, maskZero: maskZero, inputLength: inputLength,
                  inputShape: inputShape, name: name)
    }

    public override func build(inputShape: [Int]) throws {
        guard inputDim > 0, outputDim > 0 else {
            throw KerasError.invalidArgument("Layer \"\(name)\": input_dim and output_dim must be positive, received \(inputDim) and \(outputDim)")
        }
        embeddings = try addWeight(name: "embeddings", shape: [inputDim, outputDim], initializer: embeddingsInitializer,
                                   regularizer: embeddingsRegularizer, constraint: embeddingsConstraint)
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape + [outputDim] }

    /// Checks every id of a dataset before training, so the error names the sample.
    public override func validateData(_ x: Tensor) throws { try checkIDs(x, where: "sample") }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try checkIDs(input, where: "batch row")
        return try embeddingLookup(embeddings!.value, ids: input.detached)
    }

    private func checkIDs(_ input: Tensor, where row: String) throws {
        let ids = input.storage.pointer
        let perSample = Swift.max(input.count / Swift.max(input.shape.first ?? 1, 1), 1)
        for i in 0..<input.count {
            let id = ids[i]
            guard id >= 0, id < Float(inputDim), id == id.rounded() else {
                throw KerasError.invalidData(
                    "Layer \"\(name)\": token id \(id) in \(row) \(i / perSample) at position \(i % perSample) is outside [0, \(inputDim)) (input_dim=\(inputDim)); ids must be integers below input_dim")
            }
        }
    }

    public override func computeMask(_ input: Tensor, mask: Tensor?) -> Tensor? {
        guard maskZero else { return nil }
        return input.mapDetached { $0 != 0 ? 1 : 0 }
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge([
            "input_dim": .int(inputDim), "output_dim": .int(outputDim),
            "embeddings_initializer": embeddingsInitializer.config, "embeddings_regularizer": embeddingsRegularizer.config,
            "activity_regularizer": activityRegularizer.config, "embeddings_constraint": embeddingsConstraint.config,
            "mask_zero": .bool(maskZero),
            "quantization_config": nil,
        ])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.requireNull("quantization_config", "lora_rank", "weights")
        config.ignore("lora_alpha")
        // Keras 2 configs also carry input_length; it fixes the input shape, as here.
        let inputLength = config.value("input_length")?.intValue
        return Embedding(inputDim: try config.int("input_dim"), outputDim: try config.int("output_dim"),
                         embeddingsInitializer: try config.initializer("embeddings_initializer", default: .randomUniform()),
                         embeddingsRegularizer: try config.regularizer("embeddings_regularizer"),
                         activityRegularizer: try config.regularizer("activity_regularizer"),
                         embeddingsConstraint: try config.constraint("embeddings_constraint"),
                         maskZero: try config.bool("mask_zero", default: false), inputLength: inputLength, name: config.name)
    }
}
