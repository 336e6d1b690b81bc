/// Models to and from Keras's JSON: `Sequential` and functional configs (layers, inbound
/// nodes, inputs and outputs), with the compile config (optimizer, losses, metrics).

extension Model {
    /// The model's architecture (and compile settings, when compiled) as Keras's JSON
    /// (`model.to_json()`); `modelFromJSON(_:)` rebuilds the model from it, without weights.
    /// Throws, naming the layer, when a layer cannot be saved (see `serializeLayer(_:)`).
    public func toJSON() throws -> String { try serializeModel(self, includeCompile: true).json() }

    /// Keras's `get_config()` of the model: name, layers and their connections.
    public func getConfig() throws -> ConfigObject {
        guard let config = try serializeModel(self, includeCompile: false).objectValue?["config"]?.objectValue else { return [:] }
        return config
    }
}

/// Rebuilds a model from `toJSON()` output or a Keras `model.to_json()` string (Keras's
/// `model_from_json`), compiled when the JSON carries a compile config. Weights are fresh.
public func modelFromJSON(_ json: String) throws -> Model {
    do {
        let value = try ConfigValue.parse(json: json)
        return try deserializeModel(value, compile: true)
    } catch let error as ConfigValue.ParseError {
        throw KerasError.invalidArgument("model JSON: \(error)")
    } catch let error as SavingError {
        throw KerasError.invalidArgument("model JSON: \(error.message)")
    }
}

// MARK: Writing

/// A model as Keras's `serialize_keras_object` writes it.
func serializeModel(_ model: Model, includeCompile: Bool) throws -> ConfigValue {
    var object: ConfigObject
    if let sequential = model as? Sequential {
        object = ["module": "keras", "class_name": "Sequential", "config": .object(try sequentialConfig(sequential)),
                  "registered_name": nil]
        if let shape = sequential.inputShape { object["build_config"] = ["input_shape": .batchShape(shape)] }
    } else if let graph = model.graph {
        object = ["module": "keras.src.models.functional", "class_name": "Functional",
                  "config": .object(try functionalConfig(model, graph)), "registered_name": "Functional",
                  "build_config": ["input_shape": nil]]
    } else {
        throw KerasError.invalidArgument("Model \"\(model.name)\" of class \(type(of: model)) cannot be saved: only Sequential and functional models can")
    }
    object["compile_config"] = includeCompile ? .object(model.compiled.map(compileConfig) ?? [:]) : .object([:])
    return .object(object)
}

private func sequentialConfig(_ model: Sequential) throws -> ConfigObject {
    var layers: [ConfigValue] = []
    if let shape = model.inputShape {
        if model.inputLayerName == nil { model.inputLayerName = LayerNames.unique("InputLayer") }
        layers.append(kerasObject(module: "keras.layers", className: "InputLayer", config: [
            "batch_shape": .batchShape(shape), "dtype": "float32", "sparse": false, "ragged": false,
            "name": .string(model.inputLayerName!), "optional": false,
        ]))
    }
    for layer in model.layers { layers.append(try serializeLayer(layer)) }
    var config: ConfigObject = ["name": .string(model.name), "trainable": .bool(model.trainable), "dtype": float32Policy,
                                "layers": .array(layers)]
    if let shape = model.inputShape { config["build_input_shape"] = .batchShape(shape) }
    return config
}

private func functionalConfig(_ model: Model, _ graph: FunctionalGraph) throws -> ConfigObject {
    // Every node of this model, in creation order per layer: its index among them is the
    // node index other nodes refer to. A nested functional model has a node of its own
    // before any call (its inputs to its outputs), so its calls count from 1, as in Keras.
    let all = FunctionalGraph.postOrder(outputs: graph.outputs)
    var nodeIndex: [ObjectIdentifier: Int] = [:]
    for layer in graph.layers {
        let offset = (layer as? ModelLayer)?.model.graph == nil ? 0 : 1
        for (i, node) in all.filter({ $0.layer === layer }).sorted(by: { $0.serial < $1.serial }).enumerated() {
            nodeIndex[ObjectIdentifier(node)] = i + offset
        }
    }
    func history(_ tensor: KerasTensor) -> ConfigValue {
        [.string(tensor.node.layer.name), .int(nodeIndex[ObjectIdentifier(tensor.node)] ?? 0), .int(tensor.index)]
    }
    func tensor(_ t: KerasTensor) -> ConfigValue {
        ["class_name": "__keras_tensor__",
         "config": ["shape": .batchShape(t.shape), "dtype": "float32", "keras_history": history(t)]]
    }
    var layers: [ConfigValue] = []
    for layer in graph.layers {
        guard var entry = try serializeLayer(layer).objectValue else { continue }
        entry["name"] = .string(layer.name)
        let nodes = all.filter { $0.layer === layer }.sorted { $0.serial < $1.serial }
        entry["inbound_nodes"] = .array(nodes.compactMap { node -> ConfigValue? in
            switch node.operation {
            case .input: return nil
            case .merge: return ["args": [.array(node.inputs.map(tensor))], "kwargs": .object([:])]
            case .attention(let call):
                // As Keras records the calls: Attention([q, v, k]) takes a list,
                // MultiHeadAttention(q, v, key=k, attention_mask=m) keyword arguments; flags
                // only when set.
                var kwargs: ConfigObject = [:]
                let list = (node.layer as! any AttentionLayer).takesInputList
                var tensors = Array(node.inputs.prefix(2))
                if call.hasKey {
                    if list { tensors.append(node.inputs[2]) } else { kwargs["key"] = tensor(node.inputs[2]) }
                }
                if call.hasAttentionMask { kwargs["attention_mask"] = tensor(node.inputs.last!) }
                if call.returnAttentionScores { kwargs["return_attention_scores"] = true }
                if call.useCausalMask { kwargs["use_causal_mask"] = true }
                return ["args": list ? [.array(tensors.map(tensor))] : .array(tensors.map(tensor)), "kwargs": .object(kwargs)]
            case .recurrentWithStates where node.inputs.count > 1:
                return ["args": [tensor(node.inputs[0])], "kwargs": ["initial_state": .array(node.inputs.dropFirst().map(tensor))]]
            default:
                return ["args": [tensor(node.inputs[0])], "kwargs": .object(symbolicCallArguments(node.layer))]
            }
        })
        layers.append(.object(entry))
    }
    func ends(_ tensors: [KerasTensor], asList: Bool) -> ConfigValue {
        asList || tensors.count != 1 ? .array(tensors.map(history)) : history(tensors[0])
    }
    return ["name": .string(model.name), "trainable": .bool(model.trainable), "layers": .array(layers),
            "input_layers": ends(graph.inputs, asList: model.inputsGivenAsList),
            "output_layers": ends(graph.outputs, asList: model.outputsGivenAsList)]
}

/// The call arguments Keras records with a node beside the input tensor: `training` for
/// layers whose call defaults it to False, `mask` for layers whose call takes one.
private func symbolicCallArguments(_ layer: Layer) -> ConfigObject {
    switch layer {
    case is Dropout: return ["training": false]
    case is RNNLayer: return ["training": false, "mask": nil]
    case is Bidirectional, is TimeDistributed, is ModelLayer: return ["mask": nil]
    default: return [:]
    }
}

// MARK: Reading

/// Builds a model (Sequential or functional) from its serialized form; compiles it from
/// its compile config when `compile` is true and one is present.
func deserializeModel(_ value: ConfigValue, compile: Bool) throws -> Model {
    guard let object = value.objectValue else { throw SavingError("expected a serialized model object, found \(value.excerpt)") }
    guard let className = object["class_name"]?.stringValue else { throw SavingError("the model has no 'class_name'") }
    guard let config = object["config"]?.objectValue else { throw SavingError("model \(className): 'config' must be an object") }
    let model: Model
    switch className {
    case "Sequential": model = try sequentialFromConfig(config, buildConfig: object["build_config"])
    case "Functional", "Model": model = try functionalFromConfig(config)
    default:
        throw SavingError("unknown model class '\(className)' (only Sequential and functional models can be loaded)")
    }
    if let trainable = config["trainable"]?.boolValue, !trainable { model.trainable = false }
    if compile, let compileConfig = object["compile_config"]?.objectValue, !compileConfig.isEmpty {
        try compileFromConfig(model, compileConfig)
    }
    return model
}

private func sequentialFromConfig(_ config: ConfigObject, buildConfig: ConfigValue?) throws -> Sequential {
    let name = config["name"]?.stringValue
    guard let entries = config["layers"]?.arrayValue else { throw SavingError("Sequential model: 'layers' must be a list") }
    try checkDType(config["dtype"], what: "Sequential model")
    let model = Sequential(name: name)
    for (i, entry) in entries.enumerated() {
        if entry.objectValue?["class_name"]?.stringValue == "InputLayer" {
            guard i == 0 else { throw SavingError("Sequential model '\(model.name)': an InputLayer must come first") }
            let values = entry.objectValue?["config"]?.objectValue ?? [:]
            let config = LayerConfig(className: "InputLayer", values: values)
            model.configInputShape = try InputLayer.inputShape(config)
            model.inputLayerName = config.name
            try config.checkAllRead()
            continue
        }
        model.add(try deserializeLayer(entry, context: "Sequential model '\(model.name)', layer \(i)"))
    }
    if model.configInputShape == nil {
        // No InputLayer: Keras records the built shape instead.
        let shape = config["build_input_shape"] ?? buildConfig?.objectValue?["input_shape"]
        if let dims = shape?.arrayValue, !dims.isEmpty {
            model.configInputShape = dims.dropFirst().map { $0.intValue ?? -1 }
        }
    }
    if let shape = model.configInputShape, !model.layers.isEmpty {
        do { try model.build(inputShape: shape) } catch {
            throw SavingError("Sequential model '\(model.name)' does not build for input shape \(symbolicShapeString(shape)): \(error)")
        }
    }
    return model
}

/// Keras's `functional_from_config`: creates every layer, then calls each layer on its
/// inbound nodes' inputs as soon as those exist, pass after pass, so a node may come
/// before the nodes it needs.
private func functionalFromConfig(_ config: ConfigObject) throws -> Model {
    let modelName = config["name"]?.stringValue ?? "functional"
    guard let entries = config["layers"]?.arrayValue else { throw SavingError("functional model '\(modelName)': 'layers' must be a list") }

    enum Created { case input(KerasTensor), layer(Layer), model(Model), maskOp }
    var created: [(name: String, item: Created, nodes: [ConfigValue])] = []
    for (i, entry) in entries.enumerated() {
        guard let object = entry.objectValue, let className = object["class_name"]?.stringValue else {
            throw SavingError("functional model '\(modelName)': layer \(i) is not a serialized layer")
        }
        let values = object["config"]?.objectValue ?? [:]
        guard let name = object["name"]?.stringValue ?? values["name"]?.stringValue else {
            throw SavingError("functional model '\(modelName)': layer \(i) (\(className)) has no name")
        }
        guard !created.contains(where: { $0.name == name }) else {
            throw SavingError("functional model '\(modelName)': two layers are named '\(name)'")
        }
        let nodes = object["inbound_nodes"]?.arrayValue ?? []
        let module = object["module"]?.stringValue ?? ""
        if className == "InputLayer" {
            let layerConfig = LayerConfig(className: className, values: values)
            let shape = try InputLayer.inputShape(layerConfig)
            _ = layerConfig.name
            try layerConfig.checkAllRead()
            created.append((name, .input(Input(shape: shape.map { $0 < 0 ? nil : $0 }, name: name)), []))
        } else if ["Sequential", "Functional", "Model"].contains(className) {
            created.append((name, .model(try deserializeModel(entry, compile: false)), nodes))
        } else if module.hasPrefix("keras.src.ops") {
            // An operation Keras put in the graph to compute a mask (NotEqual for
            // mask_zero); SwiftKeras layers pass masks on themselves.
            created.append((name, .maskOp, nodes))
        } else {
            created.append((name, .layer(try deserializeLayer(entry, context: "functional model '\(modelName)'")), nodes))
        }
    }

    struct NodeKey: Hashable { let layer: String; let node: Int }
    var outputs: [NodeKey: [KerasTensor]] = [:]
    var maskOps = Set<String>()
    for entry in created {
        if case .input(let tensor) = entry.item { outputs[NodeKey(layer: entry.name, node: 0)] = [tensor] }
        if case .maskOp = entry.item { maskOps.insert(entry.name) }
    }

    enum Lookup { case ready(KerasTensor), notYet }
    /// A `__keras_tensor__` reference: ready, not computed yet, or an error when it can never be.
    func lookup(_ value: ConfigValue, at what: String) throws -> Lookup {
        guard let object = value.objectValue, object["class_name"]?.stringValue == "__keras_tensor__",
              let history = object["config"]?.objectValue?["keras_history"]?.arrayValue, history.count == 3,
              let layer = history[0].stringValue, let node = history[1].intValue, let index = history[2].intValue else {
            throw SavingError("\(what): expected a keras tensor, found \(value.excerpt)")
        }
        guard created.contains(where: { $0.name == layer }) else {
            throw SavingError("\(what): refers to a layer '\(layer)' that the model does not have")
        }
        guard !maskOps.contains(layer) else {
            throw SavingError("\(what): uses the output of the operation '\(layer)', which SwiftKeras supports only as a mask")
        }
        guard let tensors = outputs[NodeKey(layer: layer, node: node)] else { return .notYet }
        guard index >= 0, index < tensors.count else {
            throw SavingError("\(what): '\(layer)' node \(node) has \(tensors.count) output(s), not \(index + 1)")
        }
        return .ready(tensors[index])
    }

    var pending = created.indices.map { created[$0].nodes }
    var processed = Array(repeating: 0, count: created.count)
    var progress = true
    while progress, pending.contains(where: { !$0.isEmpty }) {
        progress = false
        for i in created.indices {
            let (name, item, _) = created[i]
            nodeLoop: while let node = pending[i].first {
                let what = "functional model '\(modelName)', layer '\(name)'"
                guard let object = node.objectValue, let args = object["args"]?.arrayValue, let first = args.first else {
                    throw SavingError("\(what): an inbound node must have 'args'")
                }
                let kwargs = object["kwargs"]?.objectValue ?? [:]
                if case .maskOp = item {
                    pending[i].removeFirst()
                    processed[i] += 1
                    progress = true
                    continue
                }
                // The tensors going in: a list for merge layers, one tensor otherwise; an
                // attention layer takes a list or separate arguments, and its key and
                // attention mask may come as keyword arguments.
                var inputs: [KerasTensor] = []
                let isAttention: Bool
                if case .layer(let layer) = item, layer is any AttentionLayer { isAttention = true } else { isAttention = false }
                let tensorValues = isAttention && first.arrayValue == nil ? args : first.arrayValue ?? [first]
                for value in tensorValues {
                    switch try lookup(value, at: what) {
                    case .ready(let t): inputs.append(t)
                    case .notYet: break nodeLoop
                    }
                }
                var attentionKey: KerasTensor?, attentionMask: KerasTensor?
                if isAttention {
                    for (name, slot) in [("key", 0), ("attention_mask", 1)] {
                        guard let value = kwargs[name], !value.isNull else { continue }
                        switch try lookup(value, at: what + " " + name) {
                        case .ready(let t): if slot == 0 { attentionKey = t } else { attentionMask = t }
                        case .notYet: break nodeLoop
                        }
                    }
                }
                var initialState: [KerasTensor]?
                if let states = kwargs["initial_state"], !states.isNull {
                    var found: [KerasTensor] = []
                    for value in states.arrayValue ?? [states] {
                        switch try lookup(value, at: what + " initial_state") {
                        case .ready(let t): found.append(t)
                        case .notYet: break nodeLoop
                        }
                    }
                    initialState = found
                }
                let attentionArguments = ["key", "attention_mask", "return_attention_scores", "use_causal_mask",
                                          "query_mask", "value_mask", "key_mask"]
                for (key, value) in kwargs where !["mask", "training", "initial_state"].contains(key)
                    && !(isAttention && attentionArguments.contains(key)) {
                    throw SavingError("\(what): unsupported call argument '\(key)' = \(value.excerpt)")
                }
                for key in ["query_mask", "value_mask", "key_mask"] where isAttention && kwargs[key].map({ !$0.isNull }) == true {
                    throw SavingError("\(what): an explicit '\(key)' is not supported (masks come from the inputs)")
                }
                if let training = kwargs["training"], !training.isNull, training != false {
                    throw SavingError("\(what): a node called with training=\(training.excerpt) is not supported")
                }
                let results: [KerasTensor]
                do {
                    switch item {
                    case .layer(let merge as MergeLayer): results = [try merge(inputs)]
                    case .layer(let attention as any AttentionLayer):
                        if attentionKey != nil { inputs.append(attentionKey!) }
                        guard inputs.count == 2 || inputs.count == 3 else {
                            throw SavingError("\(what): expected a query, a value and optionally a key, found \(inputs.count) input(s)")
                        }
                        func flag(_ key: String) throws -> Bool {
                            guard let value = kwargs[key], !value.isNull else { return false }
                            guard let b = value.boolValue else { throw SavingError("\(what): '\(key)' must be true or false, found \(value.excerpt)") }
                            return b
                        }
                        results = try attention.callSymbolic(
                            query: inputs[0], value: inputs[1], key: inputs.count > 2 ? inputs[2] : nil, attentionMask: attentionMask,
                            returnAttentionScores: try flag("return_attention_scores"), useCausalMask: try flag("use_causal_mask"))
                    case .layer(let rnn as RNNLayer) where rnn.returnState || initialState != nil:
                        guard inputs.count == 1 else { throw SavingError("\(what): expected one input, found \(inputs.count)") }
                        let (output, states) = try rnn.callWithStates(inputs[0], initialState: initialState)
                        results = rnn.returnState ? [output] + states : [output]
                    case .layer(let layer):
                        guard inputs.count == 1, initialState == nil else {
                            throw SavingError("\(what): expected one input, found \(inputs.count)")
                        }
                        results = [try layer(inputs[0])]
                    case .model(let model):
                        guard inputs.count == 1 else { throw SavingError("\(what): expected one input, found \(inputs.count)") }
                        results = [try model(inputs[0])]
                    case .input, .maskOp: results = []
                    }
                } catch let error as KerasError {
                    throw SavingError("\(what): \(error)")
                }
                let offset: Int
                if case .model(let model) = item, model.graph != nil { offset = 1 } else { offset = 0 }
                outputs[NodeKey(layer: name, node: processed[i] + offset)] = results
                processed[i] += 1
                pending[i].removeFirst()
                progress = true
            }
        }
    }
    if let stuck = pending.firstIndex(where: { !$0.isEmpty }) {
        throw SavingError(
            "functional model '\(modelName)': the inputs of layer '\(created[stuck].name)' are never computed (the graph has a cycle or refers to missing nodes)")
    }
    func ends(_ key: String) throws -> (tensors: [KerasTensor], asList: Bool) {
        guard let value = config[key], let items = value.arrayValue else {
            throw SavingError("functional model '\(modelName)': '\(key)' must be a list")
        }
        // ["name", 0, 0] for one tensor, [["name", 0, 0], ...] for a list.
        let asList = items.first?.arrayValue != nil
        let references = asList ? items : [value]
        let tensors = try references.map { reference -> KerasTensor in
            guard let parts = reference.arrayValue, parts.count == 3, let layer = parts[0].stringValue,
                  let node = parts[1].intValue, let index = parts[2].intValue,
                  let found = outputs[NodeKey(layer: layer, node: node)], index >= 0, index < found.count else {
                throw SavingError("functional model '\(modelName)': '\(key)' refers to \(reference.excerpt), which the graph does not produce")
            }
            return found[index]
        }
        return (tensors, asList)
    }
    let (inputs, inputsAsList) = try ends("input_layers")
    let (outputTensors, outputsAsList) = try ends("output_layers")
    do {
        let model = try Model(inputs: inputs, outputs: outputTensors, name: modelName)
        model.inputsGivenAsList = inputsAsList
        model.outputsGivenAsList = outputsAsList
        return model
    } catch let error as KerasError {
        throw SavingError("functional model '\(modelName)': \(error)")
    }
}
