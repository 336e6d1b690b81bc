import Synchronization

/// A symbolic tensor: what calling layers on `Input`s returns, before any data flows
/// (Keras's KerasTensor). Shapes are per sample; -1 marks a dimension unknown until data
/// arrives (Keras's None).
public final class KerasTensor: CustomStringConvertible {
    public let shape: [Int]
    let node: GraphNode
    let index: Int
    /// The serial of the MultiHeadAttention node after which this tensor carries no mask:
    /// Keras's MultiHeadAttention removes the masks of its inputs when called, so layers
    /// called on them later see none (as in a model Keras built or loaded).
    var maskRemovedAfter: Int?

    init(shape: [Int], node: GraphNode, index: Int) {
        self.shape = shape
        self.node = node
        self.index = index
    }

    /// The layer that produced this tensor.
    public var layer: Layer { node.layer }

    public var description: String { "<KerasTensor shape=\(symbolicShapeString(shape)), layer=\(node.layer.name)>" }
}

/// A model input of per-sample `shape` (nil for a dimension of any size), as Keras's `Input`.
public func Input(shape: [Int?], name: String? = nil) -> KerasTensor {
    let dims = shape.map { $0 ?? -1 }
    let layer = InputLayer(shape: dims, name: name)
    return GraphNode(operation: .input, layer: layer, inputs: []).output(shape: dims, index: 0)
}

/// The layer behind an `Input`, shown in functional models' summaries.
public final class InputLayer: Layer {
    public let shape: [Int]

    init(shape: [Int], name: String?) {
        self.shape = shape
        super.init(name: name ?? LayerNames.unique("InputLayer"), inputShape: shape)
        try? buildIfNeeded(inputShape: shape)
    }

    public override func build(inputShape: [Int]) throws {}

    public override func getConfig() -> ConfigObject {
        ["batch_shape": .batchShape(shape), "dtype": "float32", "sparse": false, "ragged": false,
         "name": .string(name), "optional": false]
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try InputLayer(shape: inputShape(config), name: config.name)
    }

    /// The per-sample shape in an InputLayer config (`batch_shape`, or Keras 2's
    /// `batch_input_shape`), -1 for None.
    static func inputShape(_ config: LayerConfig) throws -> [Int] {
        try config.require("sparse", false)
        try config.require("ragged", false)
        try config.require("optional", false)
        try checkDType(config.value("dtype"), what: config.what)
        let key = config.values["batch_shape"] != nil ? "batch_shape" : "batch_input_shape"
        guard let value = config.value(key), let dims = value.arrayValue, !dims.isEmpty,
              dims.allSatisfy({ $0.isNull || ($0.intValue ?? 0) > 0 }) else {
            throw SavingError("\(config.what): '\(key)' must be a list of positive sizes or null, batch first")
        }
        return dims.dropFirst().map { $0.intValue ?? -1 }
    }
}

/// "(None, 28, 28, 1)", with unknown dimensions as None.
func symbolicShapeString(_ shape: [Int]) -> String {
    shapeString([nil] + shape.map { $0 < 0 ? nil : $0 })
}

/// One call of a layer in a functional graph: which tensors went in, how it is run.
final class GraphNode {
    enum Operation {
        case input
        /// One tensor in, one out (with its mask).
        case single
        /// A list of tensors into a merge layer.
        case merge
        /// A recurrent layer returning its output and states; inputs: x, then initial states.
        case recurrentWithStates
        /// A whole model used as a layer.
        case model(Model)
        /// An attention layer; inputs: query, value, then the key and the attention mask
        /// when given. Outputs: the attention output, then the scores when asked for.
        case attention(AttentionCall)
    }

    let operation: Operation
    let layer: Layer
    let inputs: [KerasTensor]
    /// Creation order, which numbers a layer's nodes in saved configs (Keras's node index).
    let serial: Int
    private static let created = Atomic<Int>(0)

    init(operation: Operation, layer: Layer, inputs: [KerasTensor]) {
        self.operation = operation
        self.layer = layer
        self.inputs = inputs
        serial = GraphNode.created.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    func output(shape: [Int], index: Int) -> KerasTensor { KerasTensor(shape: shape, node: self, index: index) }

    /// Runs the node on concrete inputs (with their masks); returns its outputs.
    func run(_ values: [(Tensor, Tensor?)], training: Bool) throws -> [(Tensor, Tensor?)] {
        switch operation {
        case .input:
            return values
        case .single:
            let (x, mask) = values[0]
            let y = try layer(x, mask: mask, training: training)
            return [(y, layer.computeMask(x, mask: mask))]
        case .merge:
            let merged = try (layer as! MergeLayer)(values.map(\.0))
            return [(merged, nil)]
        case .recurrentWithStates:
            let rnn = layer as! RNNLayer
            let (x, mask) = values[0]
            let states = values.count > 1 ? values.dropFirst().map(\.0) : nil
            let (output, finalStates) = try rnn.callWithStates(x, initialState: states, mask: mask, training: training)
            return [(output, rnn.computeMask(x, mask: mask))] + finalStates.map { ($0, nil) }
        case .model(let model):
            return try model.callWithMasks(values.map(\.0), training: training).map { ($0.output, $0.mask) }
        case .attention(let call):
            let attention = layer as! any AttentionLayer
            let key = call.hasKey ? values[2] : nil
            let inputs = AttentionInputs(
                query: values[0].0, value: values[1].0, key: key?.0, queryMask: values[0].1, valueMask: values[1].1,
                keyMask: key?.1, attentionMask: call.hasAttentionMask ? values[call.hasKey ? 3 : 2].0 : nil,
                useCausalMask: call.useCausalMask, returnsAttentionScores: call.returnAttentionScores)
            let (output, scores) = try attention.run(inputs, training: training)
            return [(output, values[0].1)] + (call.returnAttentionScores ? [(scores, nil)] : [])
        }
    }
}

/// How an attention layer was called in a graph (Keras's call arguments).
struct AttentionCall {
    let hasKey: Bool
    let hasAttentionMask: Bool
    let returnAttentionScores: Bool
    let useCausalMask: Bool
}

// MARK: Calling layers on symbolic tensors

extension Layer {
    /// Calls the layer on a symbolic tensor (the functional API): builds the layer for the
    /// input's shape and checks it now, when the graph is written, not at the first batch.
    public func callAsFunction(_ input: KerasTensor) throws -> KerasTensor {
        if self is MergeLayer {
            throw KerasError.invalidArgument("Layer \"\(name)\" merges several inputs: call it on a list of tensors")
        }
        if self is any AttentionLayer {
            throw attentionNeedsSeveralInputs(self, "a call on a query and a value")
        }
        if let rnn = self as? RNNLayer, rnn.returnState {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\" has returnState: call callWithStates(_:initialState:) to get its output and states")
        }
        try buildIfNeeded(inputShape: input.shape)
        let shape = try outputShape(for: input.shape)
        return GraphNode(operation: .single, layer: self, inputs: [input]).output(shape: shape, index: 0)
    }
}

extension MergeLayer {
    /// Calls the merge layer on symbolic tensors: `Concatenate()([x, y])`.
    public func callAsFunction(_ inputs: [KerasTensor]) throws -> KerasTensor {
        let shape = try mergedShape(inputs.map(\.shape))
        try buildIfNeeded(inputShapes: inputs.map(\.shape))
        return GraphNode(operation: .merge, layer: self, inputs: inputs).output(shape: shape, index: 0)
    }
}

extension AttentionLayer {
    /// Calls the attention layer on symbolic tensors, building it for their shapes; returns
    /// the output, then the scores when `returnAttentionScores`.
    func callSymbolic(query: KerasTensor, value: KerasTensor, key: KerasTensor?, attentionMask: KerasTensor?,
                      returnAttentionScores: Bool, useCausalMask: Bool) throws -> [KerasTensor] {
        try buildIfNeeded(queryShape: query.shape, valueShape: value.shape, keyShape: key?.shape)
        let shapes = try attentionShapes(queryShape: query.shape, valueShape: value.shape, keyShape: key?.shape)
        let call = AttentionCall(hasKey: key != nil, hasAttentionMask: attentionMask != nil,
                                 returnAttentionScores: returnAttentionScores, useCausalMask: useCausalMask)
        let inputs = [query, value] + (key.map { [$0] } ?? []) + (attentionMask.map { [$0] } ?? [])
        let node = GraphNode(operation: .attention(call), layer: self, inputs: inputs)
        if self is MultiHeadAttention {
            for tensor in [query, value] + (key.map { [$0] } ?? []) where tensor.maskRemovedAfter == nil {
                tensor.maskRemovedAfter = node.serial
            }
        }
        return [node.output(shape: shapes.output, index: 0)] + (returnAttentionScores ? [node.output(shape: shapes.scores, index: 1)] : [])
    }
}

extension RNNLayer {
    /// The output and final states of a recurrent layer on a symbolic sequence, optionally
    /// starting from `initialState` (the encoder-decoder pattern of seq2seq models).
    public func callWithStates(_ input: KerasTensor, initialState: [KerasTensor]? = nil) throws
        -> (output: KerasTensor, states: [KerasTensor]) {
        try buildIfNeeded(inputShape: input.shape)
        let cell = try cell()
        if let initialState {
            guard initialState.count == cell.stateCount, initialState.allSatisfy({ $0.shape == [units] }) else {
                throw KerasError.invalidArgument(
                    "Layer \"\(name)\": initial_state expected \(cell.stateCount) tensor(s) of shape \(symbolicShapeString([units])), received \(initialState.map { symbolicShapeString($0.shape) }.joined(separator: ", "))")
            }
        }
        if !isBuilt || builtInitialStateCount == 0 { builtInitialStateCount = initialState?.count ?? 0 }
        let node = GraphNode(operation: .recurrentWithStates, layer: self, inputs: [input] + (initialState ?? []))
        let output = node.output(shape: try outputShape(for: input.shape), index: 0)
        let states = (0..<cell.stateCount).map { node.output(shape: [units], index: 1 + $0) }
        return (output, states)
    }
}

extension Model {
    /// Uses the whole model as a layer of another model (its weights are shared).
    public func callAsFunction(_ input: KerasTensor) throws -> KerasTensor {
        let outputs = try build(inputShapes: [input.shape])
        guard outputs.count == 1 else {
            throw KerasError.invalidArgument("Model \"\(name)\" has \(outputs.count) outputs; only single-output models can be used as a layer")
        }
        // One layer per model, so a model used twice shares one layer (and one summary row).
        let layer = layerView ?? ModelLayer(self)
        layerView = layer
        try layer.buildIfNeeded(inputShape: input.shape)
        return GraphNode(operation: .model(self), layer: layer, inputs: [input]).output(shape: outputs[0], index: 0)
    }
}

/// A model seen as a layer of an enclosing functional model (for layers, weights and summary).
final class ModelLayer: Layer {
    let model: Model

    init(_ model: Model) {
        self.model = model
        super.init(name: model.name)
    }

    override var className: String { model.graph == nil ? String(describing: type(of: model)) : "Functional" }
    override var weights: [Variable] { model.weights }
    override var sublayers: [Layer] { model.layers }
    override var isSamplewise: Bool { model.isSamplewise }
    override func outputShape(for inputShape: [Int]) throws -> [Int] { try model.build(inputShapes: [inputShape])[0] }
    override func build(inputShape: [Int]) throws { _ = try model.build(inputShapes: [inputShape]) }
    override func call(_ input: Tensor, mask: Tensor?, training: Bool) throws -> Tensor {
        try model.callWithMasks([input], training: training)[0].output
    }
}

// MARK: The graph of a functional model

/// The nodes between a functional model's inputs and outputs, in the order they run.
final class FunctionalGraph {
    let inputs: [KerasTensor]
    let outputs: [KerasTensor]
    /// Every node to run, inputs excluded, each after the nodes it depends on.
    let nodes: [GraphNode]
    let layers: [Layer]

    init(inputs: [KerasTensor], outputs: [KerasTensor], model: String) throws {
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw KerasError.invalidArgument("Model \"\(model)\" needs at least one input and one output")
        }
        for input in inputs {
            guard case .input = input.node.operation else {
                throw KerasError.invalidArgument(
                    "Model \"\(model)\": inputs must come from Input(shape:), but \(input) was produced by layer \"\(input.node.layer.name)\"")
            }
        }
        let inputNodes = Set(inputs.map { ObjectIdentifier($0.node) })
        var order: [GraphNode] = []
        var visited = Set<ObjectIdentifier>()
        var reachedInputs = Set<ObjectIdentifier>()
        // Post-order DFS from the outputs (iterative: graphs can be deep).
        var stack: [(GraphNode, Int)] = outputs.map { ($0.node, 0) }.reversed()
        while let (node, next) = stack.popLast() {
            let id = ObjectIdentifier(node)
            if next == 0 && visited.contains(id) { continue }
            if case .input = node.operation {
                guard inputNodes.contains(id) else {
                    throw KerasError.invalidArgument(
                        "Model \"\(model)\": graph disconnected: the outputs depend on input \"\(node.layer.name)\" of shape \(symbolicShapeString(node.layer.declaredInputShape ?? [])), which is not among the model's inputs")
                }
                visited.insert(id)
                reachedInputs.insert(id)
                continue
            }
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let child = node.inputs[next].node
                if !visited.contains(ObjectIdentifier(child)) { stack.append((child, 0)) }
            } else if visited.insert(id).inserted {
                order.append(node)
            }
        }
        for input in inputs where !reachedInputs.contains(ObjectIdentifier(input.node)) {
            throw KerasError.invalidArgument(
                "Model \"\(model)\": input \"\(input.node.layer.name)\" of shape \(symbolicShapeString(input.shape)) is not connected to any output")
        }
        self.inputs = inputs
        self.outputs = outputs
        nodes = order

        // Keras's layer order: deepest first (depth = longest path to an output), ties in
        // the order the depth-first walk first met them. Input layers are included.
        let walk = inputs.map(\.node).filter { node in !order.contains { $0 === node } }
        var depth: [ObjectIdentifier: Int] = [:]
        for output in outputs { depth[ObjectIdentifier(output.node)] = 0 }
        for node in order.reversed() {
            let d = depth[ObjectIdentifier(node), default: 0]
            for input in node.inputs {
                let id = ObjectIdentifier(input.node)
                depth[id] = Swift.max(depth[id, default: 0], d + 1)
            }
        }
        var firstSeen: [ObjectIdentifier: Int] = [:]
        var layerDepth: [ObjectIdentifier: Int] = [:]
        var unique: [Layer] = []
        for node in FunctionalGraph.postOrder(outputs: outputs) + walk {
            let id = ObjectIdentifier(node.layer)
            if firstSeen[id] == nil { firstSeen[id] = firstSeen.count; unique.append(node.layer) }
            layerDepth[id] = Swift.max(layerDepth[id, default: 0], depth[ObjectIdentifier(node), default: 0])
        }
        layers = unique.sorted {
            let (a, b) = (ObjectIdentifier($0), ObjectIdentifier($1))
            return layerDepth[a]! != layerDepth[b]! ? layerDepth[a]! > layerDepth[b]! : firstSeen[a]! < firstSeen[b]!
        }
        var perDepth: [Int: Int] = [:]
        for node in FunctionalGraph.postOrder(outputs: outputs) { perDepth[depth[ObjectIdentifier(node), default: 0], default: 0] += 1 }
        isChain = perDepth.values.allSatisfy { $0 == 1 } && order.allSatisfy { $0.inputs.count == 1 }
            && Set(order.map { ObjectIdentifier($0.layer) }).count == order.count
    }

    /// Whether the graph is a plain chain, which Keras summarizes like a Sequential model.
    let isChain: Bool

    /// Every node reachable from the outputs, inputs included, each after its inputs.
    static func postOrder(outputs: [KerasTensor]) -> [GraphNode] {
        var order: [GraphNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GraphNode, Int)] = outputs.map { ($0.node, 0) }.reversed()
        while let (node, next) = stack.popLast() {
            if next == 0 && visited.contains(ObjectIdentifier(node)) { continue }
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let child = node.inputs[next].node
                if !visited.contains(ObjectIdentifier(child)) { stack.append((child, 0)) }
            } else if visited.insert(ObjectIdentifier(node)).inserted {
                order.append(node)
            }
        }
        return order
    }

    /// Summary rows: each layer's output shape(s) and what feeds it ("dense[0][0]").
    func summaryRows() -> [(layer: Layer, shape: String, connectedTo: [String])] {
        let all = FunctionalGraph.postOrder(outputs: outputs)
        func nodeIndex(_ node: GraphNode) -> Int {
            all.filter { $0.layer === node.layer }.firstIndex { $0 === node } ?? 0
        }
        return layers.map { layer in
            let layerNodes = all.filter { $0.layer === layer }
            guard let first = layerNodes.first else { return (layer, "?", []) }
            let shapes = outputShapes(of: first)
            let shape = shapes.count == 1
                ? symbolicShapeString(shapes[0])
                : "[" + shapes.map(symbolicShapeString).joined(separator: ", ") + "]"
            let connected = layerNodes.flatMap { node in
                node.inputs.map { "\($0.node.layer.name)[\(nodeIndex($0.node))][\($0.index)]" }
            }
            return (layer, shape, connected)
        }
    }

    /// A node's output shapes (several for a recurrent layer returning its states).
    func outputShapes(of node: GraphNode) -> [[Int]] {
        switch node.operation {
        case .input: return [node.layer.declaredInputShape ?? []]
        case .merge: return [(try? (node.layer as! MergeLayer).mergedShape(node.inputs.map(\.shape))) ?? []]
        case .recurrentWithStates:
            let rnn = node.layer as! RNNLayer
            let output = (try? rnn.outputShape(for: node.inputs[0].shape)) ?? []
            return [output] + Array(repeating: [rnn.units], count: rnn.kind == .lstm ? 2 : 1)
        case .attention(let call):
            let key = call.hasKey ? node.inputs[2].shape : nil
            guard let shapes = try? (node.layer as! any AttentionLayer).attentionShapes(
                queryShape: node.inputs[0].shape, valueShape: node.inputs[1].shape, keyShape: key) else { return [[]] }
            return [shapes.output] + (call.returnAttentionScores ? [shapes.scores] : [])
        default: return [(try? node.layer.outputShape(for: node.inputs[0].shape)) ?? []]
        }
    }

    var inputShapes: [[Int]] { inputs.map(\.shape) }
    var outputNames: [String] { outputs.map(\.node.layer.name) }

    /// The outputs' per-sample shapes, after checking `shapes` against the inputs.
    /// The graph's layers were built when it was written, so only the shapes are checked
    /// (unknown dimensions, -1, match any size).
    func outputShapes(checking shapes: [[Int]]) throws -> [[Int]] {
        guard shapes.count == inputs.count else {
            throw KerasError.invalidData("expected \(inputs.count) input array(s), received \(shapes.count)")
        }
        for (input, shape) in zip(inputs, shapes) {
            let fits = input.shape.count == shape.count && zip(input.shape, shape).allSatisfy { $0 < 0 || $0 == $1 }
            guard fits else {
                throw KerasError.incompatibleInput(
                    layer: input.node.layer.name,
                    message: "expected shape=\(symbolicShapeString(input.shape)), found shape=\(symbolicShapeString(shape))")
            }
        }
        return outputs.map(\.shape)
    }

    func validateInputs(_ values: [Tensor]) throws {
        for (input, value) in zip(inputs, values) {
            for node in nodes where node.inputs.first === input { try node.layer.validateData(value) }
        }
    }

    /// Runs every node on concrete inputs; returns the outputs with their masks.
    func run(_ values: [Tensor], training: Bool) throws -> [(output: Tensor, mask: Tensor?)] {
        struct Key: Hashable { let node: ObjectIdentifier; let index: Int }
        func key(_ t: KerasTensor) -> Key { Key(node: ObjectIdentifier(t.node), index: t.index) }
        var computed: [Key: (Tensor, Tensor?)] = [:]
        for (input, value) in zip(inputs, values) { computed[key(input)] = (value, nil) }
        for node in nodes {
            let arguments = try node.inputs.map { input -> (Tensor, Tensor?) in
                guard let value = computed[key(input)] else {
                    throw KerasError.notReady("internal: layer \"\(node.layer.name)\" ran before its input")
                }
                if let removed = input.maskRemovedAfter, node.serial > removed { return (value.0, nil) }
                return value
            }
            for (index, result) in try node.run(arguments, training: training).enumerated() {
                computed[Key(node: ObjectIdentifier(node), index: index)] = result
            }
        }
        return outputs.map { computed[key($0)]! }
    }
}
