/// One entry of the gradient tape: the op that produced a tensor and how to send the
/// gradient of its output back to its inputs.
///
/// The tape is the graph of these nodes itself (as in micrograd): each node holds its
/// input nodes, so no global tape exists and a graph is freed with its last tensor.
public final class GradNode: @unchecked Sendable {
    /// Input nodes; `nil` where that input is a constant needing no gradient.
    let inputs: [GradNode?]
    /// Maps the output's gradient to one gradient per input (nil where not needed).
    let backward: ((Tensor) throws -> [Tensor?])?
    let opName: String

    init(opName: String, inputs: [GradNode?], backward: ((Tensor) throws -> [Tensor?])?) {
        self.opName = opName
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record tape entries. Off inside `withoutGradients` (predict, evaluate).
public enum GradientRecording {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients: for inference, metrics and weight updates.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false) { try body() }
}

extension Tensor {
    /// Whether `record` would attach a tape entry for these inputs: ops skip what only their
    /// backward pass needs (max pooling's winner indices) when it will not.
    public static func willRecord(inputs: [Tensor]) -> Bool {
        GradientRecording.isEnabled && inputs.contains { $0.gradNode != nil }
    }

    /// Attaches a tape entry to `output` when any input carries one.
    ///
    /// `backward` receives the output gradient and a mask telling which inputs need one,
    /// so kernels skip work for constants (e.g. the input image of the first Conv2D).
    public static func record(
        _ opName: String, _ output: Tensor, inputs: [Tensor],
        backward: @escaping (_ grad: Tensor, _ needs: [Bool]) throws -> [Tensor?]
    ) -> Tensor {
        guard GradientRecording.isEnabled else { return output }
        let nodes = inputs.map { $0.gradNode }
        guard nodes.contains(where: { $0 != nil }) else { return output }
        let needs = nodes.map { $0 != nil }
        var result = output
        result.gradNode = GradNode(opName: opName, inputs: nodes) { grad in try backward(grad, needs) }
        return result
    }

    /// Whether gradients flow back from this tensor.
    public var requiresGradient: Bool { gradNode != nil }
}

/// A trainable (or frozen) weight: the value layers compute with, and the tape leaf that
/// gradients are collected at.
public final class Variable: @unchecked Sendable {
    public let name: String
    public var trainable: Bool
    /// A penalty on this weight that training adds to the loss (a layer's kernel_regularizer).
    public var regularizer: (@Sendable (Tensor) throws -> Tensor)?
    /// A projection the optimizer applies after each update (a layer's kernel_constraint).
    public var constraint: (@Sendable (Tensor) throws -> Tensor)?
    let leaf: GradNode
    private var storedValue: Tensor

    public init(_ value: Tensor, name: String, trainable: Bool = true) {
        self.name = name
        self.trainable = trainable
        leaf = GradNode(opName: "variable:\(name)", inputs: [], backward: nil)
        storedValue = value.detached
    }

    public var shape: [Int] { storedValue.shape }

    /// The value as used in computations: carries the tape leaf while recording.
    public var value: Tensor {
        var tensor = storedValue
        if trainable && GradientRecording.isEnabled { tensor.gradNode = leaf }
        return tensor
    }

    /// Replaces the value; the shape must stay the same.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == storedValue.shape else {
            throw TensorError.shapeMismatch(
                op: "Variable '\(name)'.assign",
                message: "expected shape \(shapeString(storedValue.shape)), received \(shapeString(newValue.shape))")
        }
        storedValue = newValue.detached
    }

    /// In-place update of the stored value (optimizers): copies first only if shared.
    public func update(_ body: (UnsafeMutablePointer<Float>, Int) -> Void) {
        let count = storedValue.count
        storedValue.withMutableData { body($0, count) }
    }
}

/// Reverse-mode gradients of a scalar `loss` with respect to `variables`.
///
/// Variables that `loss` does not depend on get zeros, as with Keras's GradientTape when
/// `unconnected_gradients="zero"`.
public func gradients(of loss: Tensor, wrt variables: [Variable]) throws -> [Tensor] {
    let leaves = variables.map { $0.leaf }
    let grads = try backpropagate(from: loss, to: leaves)
    return zip(variables, leaves).map { variable, leaf in
        grads[ObjectIdentifier(leaf)] ?? Tensor.zeros(variable.shape)
    }
}

/// Gradients of a scalar `output` with respect to input tensors that were marked with
/// `Tensor.trackingGradients()` (used by gradient checks and custom training code).
public func gradients(of output: Tensor, wrt inputs: [Tensor]) throws -> [Tensor] {
    let nodes = inputs.map { $0.gradNode }
    let grads = try backpropagate(from: output, to: nodes.compactMap { $0 })
    return zip(inputs, nodes).map { input, node in
        node.flatMap { grads[ObjectIdentifier($0)] } ?? Tensor.zeros(input.shape)
    }
}

extension Tensor {
    /// This tensor as a new tape leaf, so `gradients(of:wrt:)` can differentiate with
    /// respect to it.
    public func trackingGradients() -> Tensor {
        var result = detached
        result.gradNode = GradNode(opName: "input", inputs: [], backward: nil)
        return result
    }
}

private func backpropagate(from output: Tensor, to targets: [GradNode]) throws -> [ObjectIdentifier: Tensor] {
    guard output.count == 1 else {
        throw TensorError.invalidArgument(
            op: "gradients", message: "the differentiated value must be a scalar, got shape \(shapeString(output.shape))")
    }
    guard let root = output.gradNode else { return [:] }

    // Iterative post-order DFS: recurrent graphs can be thousands of nodes deep.
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
        if next < node.inputs.count {
            stack.append((node, next + 1))
            if let child = node.inputs[next], visited.insert(ObjectIdentifier(child)).inserted {
                stack.append((child, 0))
            }
        } else {
            order.append(node)
        }
    }

    let wanted = Set(targets.map { ObjectIdentifier($0) })
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): Tensor(repeating: 1, shape: output.shape)]
    var results: [ObjectIdentifier: Tensor] = [:]
    for node in order.reversed() {
        let id = ObjectIdentifier(node)
        guard let grad = grads.removeValue(forKey: id) else { continue }
        if wanted.contains(id) { results[id] = grad }
        guard let backward = node.backward else { continue }
        let inputGrads = try backward(grad)
        for (input, inputGrad) in zip(node.inputs, inputGrads) {
            guard let input, let inputGrad else { continue }
            let inputID = ObjectIdentifier(input)
            if let existing = grads[inputID] {
                grads[inputID] = existing.addingDetached(inputGrad)
            } else {
                grads[inputID] = inputGrad.detached
            }
        }
    }
    return results
}
