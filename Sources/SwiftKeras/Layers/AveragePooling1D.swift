/// Mean over each window of steps (Keras's `AveragePooling1D`; the pool size has no default
/// there either). With "same" padding, windows average only the steps inside the input.
public final class AveragePooling1D: Pooling1D {
    public init(poolSize: Int, strides: Int? = nil, padding: Padding = .valid, inputShape: [Int]? = nil, name: String? = nil) {
        super.init(poolSize: poolSize, strides: strides, padding: padding, name: name, inputShape: inputShape)
    }

    /// Keras's positional form: `AveragePooling1D(2)`.
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init(poolSize: poolSize, strides: strides, padding: padding)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try pool1d(input) { try averagePool2d($0, poolSize: $1, strides: $2, padding: $3) }
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let (poolSize, strides, padding) = try arguments(config, defaultPoolSize: nil)
        return AveragePooling1D(poolSize: poolSize, strides: strides, padding: padding, name: config.name)
    }
}

/// Keras's alias.
public typealias AvgPool1D = AveragePooling1D
