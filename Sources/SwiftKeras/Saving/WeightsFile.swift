/// The state of a model in Keras's `model.weights.h5` layout, as Keras's `saving_lib`
/// walks it: every object (the model, each layer, a recurrent layer's cell, a wrapper's
/// inner layers, the optimizer) keeps its own variables in a group `<path>/vars`, as
/// datasets "0", "1", ... in the order the object created them.
///
///     vars                              the model (no variables of its own)
///     layers/conv2d/vars/0, 1           kernel, bias
///     layers/conv2d_1/vars/...          layers are named by class, numbered per class
///     layers/lstm/cell/vars/0, 1, 2     kernel, recurrent_kernel, bias
///     layers/bidirectional/forward_layer/cell/vars/...
///     layers/time_distributed/layer/vars/...
///     layers/multi_head_attention/query_dense/vars/0, 1   and key_dense, value_dense, output_dense
///     layers/sequential/layers/dense/vars/...   a nested model
///     optimizer/vars/0, 1, 2...         iterations, learning_rate, then the slots

/// One object whose variables are saved under `<path>/vars`.
struct SavedObject {
    let path: String
    /// The `name` attribute Keras puts on the group (the layer's name).
    let name: String
    /// What the object is, for errors: "layer 'dense_1'".
    let what: String
    let values: [SavedValue]

    var group: String { path.isEmpty ? "vars" : path + "/vars" }
}

/// One saved array.
enum SavedValue {
    case weight(Variable)
    case iterations(Optimizer)
    case learningRate(Optimizer)
    case slot(Optimizer, Variable, Int)
    /// One of the optimizer's `scalarState` values (Nadam's u_product).
    case scalar(Optimizer, Int)

    /// "kernel", "iterations", "momentum of dense/kernel" for errors.
    var label: String {
        switch self {
        case .weight(let v): return String(v.name.split(separator: "/").last ?? Substring(v.name))
        case .iterations: return "iterations"
        case .learningRate: return "learning_rate"
        case let .slot(_, v, i): return "slot \(i) of \(v.name)"
        case let .scalar(_, i): return "scalar state \(i)"
        }
    }

    var shape: [Int] {
        switch self {
        case .weight(let v), .slot(_, let v, _): return v.shape
        case .iterations, .learningRate, .scalar: return []
        }
    }
}

/// Keras's `naming.to_snake_case` of a class name ("MaxPooling2D" → "max_pooling2d").
func kerasSnakeCase(_ name: String) -> String { LayerNames.snakeCase(name) }

/// Every saved object of `model`, in saving_lib's walk order; shared layers once, at the
/// first place the walk meets them.
func savedObjects(of model: Model, includeOptimizer: Bool) -> [SavedObject] {
    var objects: [SavedObject] = []
    var visited = Set<ObjectIdentifier>()

    func join(_ path: String, _ child: String) -> String { path.isEmpty ? child : path + "/" + child }

    func walkModel(_ model: Model, _ path: String) {
        guard visited.insert(ObjectIdentifier(model)).inserted else { return }
        objects.append(SavedObject(path: path, name: model.name, what: "model '\(model.name)'", values: []))
        var used: [String: Int] = [:]
        for layer in model.layers {
            walkLayer(layer, join(join(path, "layers"), uniqueName(layer.className, &used)))
        }
        if includeOptimizer, let optimizer = model.compiled?.optimizer {
            let variables = model.trainableWeights
            let slots = optimizer.kerasSlots(for: variables).map { SavedValue.slot(optimizer, $0.variable, $0.slot) }
                + optimizer.scalarState.indices.map { SavedValue.scalar(optimizer, $0) }
            objects.append(SavedObject(path: join(path, "optimizer"), name: LayerNames.snakeCase(optimizer.name),
                                       what: "optimizer '\(LayerNames.snakeCase(optimizer.name))'",
                                       values: [.iterations(optimizer), .learningRate(optimizer)] + slots))
        }
    }

    func walkLayer(_ layer: Layer, _ path: String) {
        if let modelLayer = layer as? ModelLayer { return walkModel(modelLayer.model, path) }
        guard visited.insert(ObjectIdentifier(layer)).inserted else { return }
        let what = "layer '\(layer.name)'"
        switch layer {
        case let rnn as RNNLayer:
            objects.append(SavedObject(path: path, name: layer.name, what: what, values: []))
            objects.append(SavedObject(path: join(path, "cell"), name: kerasSnakeCase(rnn.kind.rawValue) + "_cell", what: what,
                                       values: rnn.ownWeights.map(SavedValue.weight)))
        case let bidirectional as Bidirectional:
            objects.append(SavedObject(path: path, name: layer.name, what: what, values: []))
            walkLayer(bidirectional.backwardLayer, join(path, "backward_layer"))
            walkLayer(bidirectional.forwardLayer, join(path, "forward_layer"))
        case let mha as MultiHeadAttention:
            // Keras keeps the four projections in EinsumDense sublayers (and an empty softmax
            // and dropout).
            objects.append(SavedObject(path: path, name: layer.name, what: what, values: []))
            let projections = [("query_dense", "query", mha.queryKernel, mha.queryBias), ("key_dense", "key", mha.keyKernel, mha.keyBias),
                               ("value_dense", "value", mha.valueKernel, mha.valueBias),
                               ("output_dense", "attention_output", mha.outputKernel, mha.outputBias)]
            for (child, name, kernel, bias) in projections {
                objects.append(SavedObject(path: join(path, child), name: name, what: what,
                                           values: [kernel, bias].compactMap { $0 }.map(SavedValue.weight)))
            }
            for (child, name) in [("_softmax", "softmax"), ("_dropout_layer", "dropout")] {
                objects.append(SavedObject(path: join(path, child), name: name, what: what, values: []))
            }
        case let wrapper as TimeDistributed:
            objects.append(SavedObject(path: path, name: layer.name, what: what, values: []))
            walkLayer(wrapper.layer, join(path, "layer"))
        default:
            objects.append(SavedObject(path: path, name: layer.name, what: what, values: layer.ownWeights.map(SavedValue.weight)))
            // A layer of one's own made of other layers: they go in a container, as Keras
            // saves a list attribute of layers.
            var used: [String: Int] = [:]
            for sublayer in layer.sublayers { walkLayer(sublayer, join(join(path, "layers"), uniqueName(sublayer.className, &used))) }
        }
    }

    walkModel(model, "")
    return objects
}

/// saving_lib's `_get_unique_name`: the snake-case class name, then _1, _2, ... per container.
private func uniqueName(_ className: String, _ used: inout [String: Int]) -> String {
    let base = kerasSnakeCase(className)
    guard let count = used[base] else {
        used[base] = 0
        return base
    }
    used[base] = count + 1
    return "\(base)_\(count + 1)"
}

// MARK: Writing and reading

func writeState(_ objects: [SavedObject], to file: HDF5File) throws {
    for object in objects {
        try file.createGroup(object.group, nameAttribute: object.name)
        for (i, value) in object.values.enumerated() {
            let path = "\(object.group)/\(i)"
            switch value {
            case .weight(let variable):
                let tensor = withoutGradients { variable.value }
                try file.writeFloat32(path, shape: tensor.shape, values: tensor.storage.pointer)
            case let .slot(optimizer, variable, index):
                let tensor = optimizer.stepLock.withLock { _ in optimizer.slots(for: variable)[index] }
                try file.writeFloat32(path, shape: tensor.shape, values: tensor.storage.pointer)
            case .iterations(let optimizer):
                try file.writeInt64(path, Int64(optimizer.iterations))
            case .learningRate(let optimizer):
                var rate = optimizer.learningRate
                try file.writeFloat32(path, shape: [], values: &rate)
            case let .scalar(optimizer, index):
                var value = optimizer.scalarState[index]
                try file.writeFloat32(path, shape: [], values: &value)
            }
        }
    }
}

/// Loads every object's variables from `file`, checking counts and shapes first so a
/// mismatched file changes nothing. An optimizer group holding only iterations and the
/// learning rate (Keras saves that before the first training step) leaves the slots fresh.
func readState(_ objects: [SavedObject], from file: HDF5File) throws {
    struct Load { let value: SavedValue; let path: String }
    var loads: [Load] = []
    var consumed = Set<String>()
    for object in objects {
        let stored = try file.members(of: object.group)
        var expected = object.values
        if case .iterations = expected.first {
            // No optimizer state saved (weights saved before compiling): the slots stay
            // fresh. Iterations and learning rate alone: Keras saved before the first step.
            if stored.isEmpty { continue }
            if stored.count == 2, expected.count > 2 { expected = Array(expected.prefix(2)) }
        }
        let names = expected.map(\.label).joined(separator: ", ")
        guard stored.count == expected.count, Set(stored) == Set((0..<expected.count).map(String.init)) else {
            let holds = stored.isEmpty ? "nothing at \(object.group)" : "\(stored.count) at \(object.group)"
            throw SavingError(
                "\(file.prefix)\(object.what) expects \(expected.count) variable(s)\(expected.isEmpty ? "" : " (\(names))"), the file holds \(holds)")
        }
        for (i, value) in expected.enumerated() {
            let path = "\(object.group)/\(i)"
            let shape = try file.shape(of: path)
            guard shape == value.shape else {
                throw SavingError(
                    "\(file.prefix)\(object.what) expects \(value.label) \(shapeString(value.shape)), the file holds \(shapeString(shape)) at \(path)")
            }
            loads.append(Load(value: value, path: path))
        }
        consumed.insert(object.group)
    }
    try checkNothingLeftOver(in: file, under: "layers", consumed: consumed)

    for load in loads {
        switch load.value {
        case .weight(let variable):
            var tensor = Tensor(uninitializedShape: variable.shape)
            try tensor.withMutableData { try file.readFloat32(load.path, into: $0, count: variable.shape.reduce(1, *)) }
            try checkFinite(tensor, file.prefix, load.path)
            try variable.assign(tensor)
        case let .slot(optimizer, variable, index):
            var tensor = Tensor(uninitializedShape: variable.shape)
            try tensor.withMutableData { try file.readFloat32(load.path, into: $0, count: variable.shape.reduce(1, *)) }
            try checkFinite(tensor, file.prefix, load.path)
            try optimizer.stepLock.withLock { _ in try optimizer.setSlot(index, of: variable, to: tensor) }
        case .iterations(let optimizer):
            let count = try file.readInt64(load.path)
            guard count >= 0 else { throw SavingError("\(file.prefix)\(load.path): iterations is negative (\(count))") }
            optimizer.iterations = Int(count)
        case let .scalar(optimizer, index):
            var value: Float = 0
            try file.readFloat32(load.path, into: &value, count: 1)
            guard value.isFinite else { throw SavingError("\(file.prefix)\(load.path): optimizer state \(value) is not finite") }
            optimizer.scalarState[index] = value
        case .learningRate(let optimizer):
            var rate: Float = 0
            try file.readFloat32(load.path, into: &rate, count: 1)
            guard rate.isFinite, rate >= 0 else { throw SavingError("\(file.prefix)\(load.path): learning rate \(rate) is not a finite, non-negative number") }
            optimizer.learningRate = rate
        }
    }
}

/// NaN or infinite weights are rejected: a model would silently predict NaN.
private func checkFinite(_ tensor: Tensor, _ label: String, _ path: String) throws {
    let p = tensor.storage.pointer
    for i in 0..<tensor.count where !p[i].isFinite {
        throw SavingError("\(label)\(path) holds a non-finite value (\(p[i])) at flat index \(i)")
    }
}

/// Variables stored for layers this model does not have mean the file is another model's.
private func checkNothingLeftOver(in file: HDF5File, under root: String, consumed: Set<String>) throws {
    var pending = [root]
    var visitedGroups = 0
    while let group = pending.popLast() {
        visitedGroups += 1
        guard visitedGroups < 100_000 else { throw SavingError("\(file.prefix)too many groups under \(root)") }
        for member in try file.members(of: group) {
            let path = group + "/" + member
            guard try file.kind(path) == .group else { continue }
            if member == "vars" {
                let count = try file.members(of: path).count
                if count > 0 && !consumed.contains(path) {
                    throw SavingError("\(file.prefix)the file holds \(count) variable(s) at \(path), which this model has no place for (a different model's weights?)")
                }
            } else {
                pending.append(path)
            }
        }
    }
}
