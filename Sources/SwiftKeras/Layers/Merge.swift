/// Layers that combine several inputs into one (Keras's merge layers). They are called on
/// a list of tensors, concrete or symbolic: `Concatenate()([x, y])`.
public class MergeLayer: Layer {
    /// The combination itself, on concrete tensors.
    /// The base class merges nothing: each merge layer overrides this.
    func merge(_ inputs: [Tensor]) throws -> Tensor {
        throw KerasError.invalidArgument(
            "Layer \"\(name)\": MergeLayer is the base class of the merge layers and cannot merge; use a subclass (Add, Concatenate, Multiply, ...)")
    }

    /// The per-sample output shape for the per-sample input shapes.
    func mergedShape(_ shapes: [[Int]]) throws -> [Int] {
        guard let first = shapes.first, shapes.count >= 2 else {
            throw KerasError.invalidArgument("Layer \"\(name)\" should be called on a list of at least 2 inputs, received \(shapes.count)")
        }
        for shape in shapes where shape != first {
            throw KerasError.incompatibleInput(
                layer: name, message: "inputs must have the same shape, received \(shapes.map { shapeString([nil] + $0.map { $0 < 0 ? nil : $0 }) }.joined(separator: ", "))")
        }
        return first
    }

    public override var supportsMasking: Bool { true }

    /// The per-sample shapes of all inputs the layer was built for (Keras's build_config).
    var builtInputShapes: [[Int]]?

    /// Builds on the first call, recording every input's shape.
    func buildIfNeeded(inputShapes: [[Int]]) throws {
        guard !isBuilt else { return }
        try buildIfNeeded(inputShape: inputShapes[0])
        builtInputShapes = inputShapes
    }

    /// Calls the layer on concrete tensors.
    public func callAsFunction(_ inputs: [Tensor]) throws -> Tensor {
        for input in inputs { try checkHasBatchAxis(input.shape) }
        _ = try mergedShape(inputs.map { Array($0.shape.dropFirst()) })
        try buildIfNeeded(inputShapes: inputs.map { Array($0.shape.dropFirst()) })
        return try merge(inputs)
    }

    public override var buildConfig: ConfigObject? {
        builtInputShapes.map { ["input_shape": .array($0.map { .batchShape($0) })] }
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        throw KerasError.invalidArgument("Layer \"\(name)\" merges several inputs: call it on a list of tensors")
    }
}

/// Joins inputs along an axis (the last by default).
public final class Concatenate: MergeLayer {
    public let axis: Int

    public init(axis: Int = -1, name: String? = nil) {
        self.axis = axis
        super.init(name: name)
    }

    override func mergedShape(_ shapes: [[Int]]) throws -> [Int] {
        guard let first = shapes.first, shapes.count >= 2 else {
            throw KerasError.invalidArgument("Layer \"\(name)\" should be called on a list of at least 2 inputs, received \(shapes.count)")
        }
        let rank = first.count + 1
        let a = axis < 0 ? axis + rank : axis
        guard a >= 1, a < rank, shapes.allSatisfy({ $0.count == first.count }) else {
            throw KerasError.incompatibleInput(layer: name, message: "axis \(axis) does not fit inputs of shapes \(shapes.map { shapeString($0) }.joined(separator: ", "))")
        }
        var out = first
        out[a - 1] = 0
        for shape in shapes {
            for i in shape.indices where i != a - 1 && shape[i] != first[i] && shape[i] >= 0 && first[i] >= 0 {
                throw KerasError.incompatibleInput(
                    layer: name,
                    message: "a Concatenate layer requires inputs with matching shapes except for the concatenation axis \(axis); received \(shapes.map { shapeString([nil] + $0.map { $0 < 0 ? nil : $0 }) }.joined(separator: ", "))")
            }
            out[a - 1] = out[a - 1] < 0 || shape[a - 1] < 0 ? -1 : out[a - 1] + shape[a - 1]
        }
        return out
    }

    override func merge(_ inputs: [Tensor]) throws -> Tensor { try concatenate(inputs, axis: axis) }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["axis"] = .int(axis)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Concatenate(axis: try config.int("axis", default: -1), name: config.name)
    }
}

/// Elementwise sum of the inputs.
public final class Add: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func merge(_ inputs: [Tensor]) throws -> Tensor {
        try inputs.dropFirst().reduce(inputs[0]) { try $0 + $1 }
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Add(name: config.name) }
}

/// The first input minus the second.
public final class Subtract: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func mergedShape(_ shapes: [[Int]]) throws -> [Int] {
        guard shapes.count == 2 else {
            throw KerasError.invalidArgument("Layer \"\(name)\" should be called on exactly 2 inputs, received \(shapes.count)")
        }
        return try super.mergedShape(shapes)
    }
    override func merge(_ inputs: [Tensor]) throws -> Tensor { try inputs[0] - inputs[1] }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Subtract(name: config.name) }
}

/// Elementwise product of the inputs.
public final class Multiply: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func merge(_ inputs: [Tensor]) throws -> Tensor {
        try inputs.dropFirst().reduce(inputs[0]) { try $0 * $1 }
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Multiply(name: config.name) }
}

/// Elementwise mean of the inputs.
public final class Average: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func merge(_ inputs: [Tensor]) throws -> Tensor {
        try inputs.dropFirst().reduce(inputs[0]) { try $0 + $1 } * (1 / Float(inputs.count))
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Average(name: config.name) }
}

/// Elementwise maximum of the inputs.
public final class Maximum: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func merge(_ inputs: [Tensor]) throws -> Tensor { try elementwiseExtreme(inputs, maximum: true) }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Maximum(name: config.name) }
}

/// Elementwise minimum of the inputs.
public final class Minimum: MergeLayer {
    public init(name: String? = nil) { super.init(name: name) }
    override func merge(_ inputs: [Tensor]) throws -> Tensor { try elementwiseExtreme(inputs, maximum: false) }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Minimum(name: config.name) }
}

/// Dot product of two (batch, features) inputs along the feature axis: (batch, 1).
/// With `normalize`, the inputs are L2-normalized first (cosine similarity).
public final class Dot: MergeLayer {
    public let axes: Int
    public let normalize: Bool

    public init(axes: Int, normalize: Bool = false, name: String? = nil) {
        self.axes = axes
        self.normalize = normalize
        super.init(name: name)
    }

    override func mergedShape(_ shapes: [[Int]]) throws -> [Int] {
        guard shapes.count == 2, shapes[0].count == 1, shapes[0] == shapes[1], axes == 1 || axes == -1 else {
            throw KerasError.incompatibleInput(
                layer: name,
                message: "Dot supports two (batch, features) inputs of equal shape with axes=1, received \(shapes.map { shapeString($0) }.joined(separator: ", ")) and axes=\(axes)")
        }
        return [1]
    }

    override func merge(_ inputs: [Tensor]) throws -> Tensor {
        var (a, b) = (inputs[0], inputs[1])
        if normalize {
            // Keras's l2_normalize: x / sqrt(max(sum(x²), 1e-12)).
            a = try a / (a.squared().sum(axes: [-1], keepDims: true).clipped(min: 1e-12, max: .greatestFiniteMagnitude).sqrt())
            b = try b / (b.squared().sum(axes: [-1], keepDims: true).clipped(min: 1e-12, max: .greatestFiniteMagnitude).sqrt())
        }
        return try (a * b).sum(axes: [-1], keepDims: true)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config.merge(["axes": .int(axes), "normalize": .bool(normalize)])
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        Dot(axes: try config.int("axes"), normalize: try config.bool("normalize", default: false), name: config.name)
    }
}

/// Repeats a (batch, features) input n times: (batch, n, features).
public final class RepeatVector: Layer {
    public let n: Int

    public init(_ n: Int, name: String? = nil) {
        self.n = n
        super.init(name: name)
    }

    public override func inputSpec() -> InputSpec { InputSpec(ndim: 2) }

    public override func build(inputShape: [Int]) throws {
        guard n > 0 else { throw KerasError.invalidArgument("Layer \"\(name)\": n must be positive, received \(n)") }
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        try inputSpec().check(shape: [nil] + inputShape.map { Optional($0) }, layer: name)
        try build(inputShape: inputShape)
        return [n] + inputShape
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        let (batch, features) = (input.shape[0], input.shape[1])
        return try input.reshaped([batch, 1, features]) * Tensor.ones([1, n, 1])
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["n"] = .int(n)
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { RepeatVector(try config.int("n"), name: config.name) }
}

/// Permutes the non-batch axes: `Permute([2, 1])` swaps the two axes of (batch, a, b).
/// Axes are numbered from 1, as in Keras.
public final class Permute: Layer {
    public let dims: [Int]

    public init(_ dims: [Int], name: String? = nil) {
        self.dims = dims
        super.init(name: name)
    }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard dims.sorted() == Array(1...Swift.max(inputShape.count, 1)), dims.count == inputShape.count else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": dims \(dims) must be a permutation of 1...\(inputShape.count) for inputs of shape \(shapeString(inputShape))")
        }
        return dims.map { inputShape[$0 - 1] }
    }

    public override func build(inputShape: [Int]) throws { _ = try outputShape(for: inputShape) }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.transposed([0] + dims)
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        config["dims"] = .array(dims.map { .int($0) })
        return config
    }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer { Permute(try config.ints("dims"), name: config.name) }
}

/// A layer made of any tensor operations (Keras's `Lambda`): gradients come from the tape.
///
/// A closure cannot be written to a file, so saving a Lambda throws unless it was made from
/// a function registered under a name (`registerKerasSerializable(name:package:_:)`), which
/// loading then finds again by that name.
public final class Lambda: Layer {
    let function: (Tensor) throws -> Tensor
    let shapeFunction: (([Int]) throws -> [Int])?
    /// The registered name of the function ("my_package>double"), when it has one.
    public let registeredFunctionName: String?

    /// - outputShape: the per-sample output shape for a per-sample input shape; when nil it
    ///   is found by running `function` on a batch of one zero sample.
    public init(_ function: @escaping (Tensor) throws -> Tensor, outputShape: (([Int]) throws -> [Int])? = nil,
                name: String? = nil) {
        self.function = function
        self.shapeFunction = outputShape
        registeredFunctionName = nil
        super.init(name: name)
    }

    /// A Lambda over a registered function: it can be saved and loaded.
    public init(_ function: RegisteredFunction, outputShape: (([Int]) throws -> [Int])? = nil, name: String? = nil) {
        self.function = function.function
        self.shapeFunction = outputShape
        registeredFunctionName = function.registeredName
        super.init(name: name)
    }

    /// The function may mix samples (a mean over the batch, say).
    public override var isSamplewise: Bool { false }

    public override func outputShape(for inputShape: [Int]) throws -> [Int] {
        if let shapeFunction { return try shapeFunction(inputShape) }
        guard inputShape.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("Layer \"\(name)\": give outputShape for inputs with unknown dimensions \(shapeString(inputShape))")
        }
        return Array(try withoutGradients { try function(Tensor.zeros([1] + inputShape)) }.shape.dropFirst())
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor { try function(input) }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        if let registeredFunctionName {
            config["function"] = kerasObject(module: "builtins", className: "function", config: .string(registeredFunctionName),
                                             registeredName: "function")
        }
        config["arguments"] = .object([:])
        return config
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        let what = config.what
        guard let function = config.value("function")?.objectValue else {
            throw SavingError("\(what): the config has no 'function'")
        }
        guard function["class_name"]?.stringValue == "function", let registered = function["config"]?.stringValue else {
            throw SavingError(
                "\(what) holds Python code, which SwiftKeras cannot run: write the function in Swift, register it with registerKerasSerializable(name:package:_:) under the name Keras registered it with, and save the Lambda from Keras with that registered function")
        }
        guard let found = LayerRegistry.function(named: registered) else {
            throw SavingError(
                "\(what) uses the function '\(registered)', which is not registered: call registerKerasSerializable(name:package:_:) with it before loading")
        }
        if let arguments = config.value("arguments"), arguments.objectValue?.isEmpty != true {
            throw SavingError("\(what): 'arguments' is not supported, found \(arguments.excerpt)")
        }
        try config.requireNull("output_shape", "mask")
        return Lambda(found, name: config.name)
    }
}
