/// A plain stack of layers, each feeding the next (Keras's `Sequential`).
public final class Sequential: Model {
    private var stack: [Layer]
    /// Each layer's output shape, from the last build. fit and evaluate rebuild (check) the
    /// stack on every call, so threads sharing a built model write it at once: under a lock.
    private let outputShapes = Lock<[[Int]]>([])
    /// The input shape of a model loaded from a config with an InputLayer, and that layer's
    /// name; models built in code take the first layer's `inputShape` instead.
    var configInputShape: [Int]?
    var inputLayerName: String?

    public init(_ layers: [Layer] = [], name: String? = nil) {
        stack = layers
        super.init(name: name)
    }

    /// Appends a layer on top of the stack.
    public func add(_ layer: Layer) {
        stack.append(layer)
        outputShapes.withLock { $0 = [] }
    }

    /// Removes the last layer.
    public func pop() { if !stack.isEmpty { stack.removeLast(); outputShapes.withLock { $0 = [] } } }

    public override var layers: [Layer] { stack }

    /// The first layer's declared `inputShape`, as in Keras.
    public override var inputShapes: [[Int]]? {
        (configInputShape ?? stack.first?.declaredInputShape ?? stack.first?.builtInputShape).map { [$0] }
    }

    public override var outputNames: [String] { stack.last.map { [$0.name] } ?? [] }

    public override var layerOutputShapes: [[Int]] { outputShapes.withLock { $0 } }

    @discardableResult
    public override func build(inputShapes: [[Int]]) throws -> [[Int]] {
        guard inputShapes.count == 1 else {
            throw KerasError.invalidData("Sequential model \"\(name)\" takes one input array, received \(inputShapes.count)")
        }
        return [try buildStack(inputShapes[0])]
    }

    private func buildStack(_ inputShape: [Int]) throws -> [Int] {
        guard !stack.isEmpty else {
            throw KerasError.notReady("Sequential model \"\(name)\" has no layers; add layers before building it.")
        }
        // Keras gives a built Sequential model an InputLayer (its configs list it).
        if inputLayerName == nil { inputLayerName = LayerNames.unique("InputLayer") }
        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in stack {
            try layer.buildIfNeeded(inputShape: shape)
            shape = try layer.outputShape(for: shape)
            shapes.append(shape)
        }
        outputShapes.withLock { $0 = shapes }
        return shape
    }

    public override func validateInputs(_ inputs: [Tensor]) throws {
        try stack.first?.validateData(inputs[0])
    }

    /// Runs the stack, passing each layer the mask of padded steps its predecessor produced
    /// (an Embedding with maskZero starts one); returns the output and its mask.
    public override func callWithMasks(_ inputs: [Tensor], training: Bool) throws -> [(output: Tensor, mask: Tensor?)] {
        var x = inputs[0]
        var mask: Tensor?
        for layer in stack {
            let output = try layer(x, mask: mask, training: training)
            mask = layer.computeMask(x, mask: mask)
            x = output
        }
        return [(x, mask)]
    }
}
