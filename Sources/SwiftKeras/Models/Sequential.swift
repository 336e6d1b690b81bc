/// A plain stack of layers, each feeding the next (Keras's `Sequential`).
public final class Sequential: Model {
    private var stack: [Layer]
    private var outputShapes: [[Int]] = []

    public init(_ layers: [Layer] = [], name: String? = nil) {
        stack = layers
        super.init(name: name)
    }

    /// Appends a layer on top of the stack.
    public func add(_ layer: Layer) {
        stack.append(layer)
        outputShapes = []
    }

    /// Removes the last layer.
    public func pop() { if !stack.isEmpty { stack.removeLast(); outputShapes = [] } }

    public override var layers: [Layer] { stack }

    /// The first layer's declared `inputShape`, as in Keras.
    public override var inputShape: [Int]? { stack.first?.declaredInputShape ?? stack.first?.builtInputShape }

    public override var layerOutputShapes: [[Int]] { outputShapes }

    @discardableResult
    public override func build(inputShape: [Int]) throws -> [Int] {
        guard !stack.isEmpty else {
            throw KerasError.notReady("Sequential model \"\(name)\" has no layers; add layers before building it.")
        }
        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in stack {
            try layer.buildIfNeeded(inputShape: shape)
            shape = try layer.outputShape(for: shape)
            shapes.append(shape)
        }
        outputShapes = shapes
        return shape
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try callWithMask(input, training: training).output
    }

    /// Runs the stack, passing each layer the mask of padded steps its predecessor produced
    /// (an Embedding with maskZero starts one); returns the output and its mask.
    public override func callWithMask(_ input: Tensor, training: Bool) throws -> (output: Tensor, mask: Tensor?) {
        var x = input
        var mask: Tensor?
        for layer in stack {
            let output = try layer(x, mask: mask, training: training)
            mask = layer.computeMask(x, mask: mask)
            x = output
        }
        return (x, mask)
    }
}
