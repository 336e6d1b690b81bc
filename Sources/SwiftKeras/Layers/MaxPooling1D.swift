/// Max over each window of steps (Keras's `MaxPooling1D`, pool size 2 by default).
public final class MaxPooling1D: Pooling1D {
    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, inputShape: [Int]? = nil, name: String? = nil) {
        super.init(poolSize: poolSize, strides: strides, padding: padding, name: name, inputShape: inputShape)
    }

    /// Keras's positional form: `MaxPooling1D(2)`.
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init(poolSize: poolSize, strides: strides, padding: padding)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try pool1d(input) { try maxPool2d($0, poolSize: $1, strides: $2, padding: $3) }
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let (poolSize, strides, padding) = try arguments(config, defaultPoolSize: 2)
        return MaxPooling1D(poolSize: poolSize, strides: strides, padding: padding, name: config.name)
    }
}

/// Keras's alias.
public typealias MaxPool1D = MaxPooling1D
