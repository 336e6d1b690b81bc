/// Where layer classes are found by the names saved configs give them (Keras's
/// `register_keras_serializable` and its custom-object registry). Loading a model, a
/// `TimeDistributed` wrapper's inner layer and the tests' Keras fixtures all build layers
/// through here.
///
/// A layer of this library is listed in `builtins` (one line each). A layer of your own
/// registers itself once, before saving or loading:
///
/// ```swift
/// registerKerasSerializable(Scale.self, package: "MyLayers")   // saved as "MyLayers>Scale"
/// ```
public enum LayerRegistry {
    /// SwiftKeras's layers under their Keras class names (module `keras.layers`). A new
    /// layer adds its line here and implements `getConfig()` and `fromConfig(_:)`.
    static let builtins: [(className: String, type: Layer.Type)] = [
        ("InputLayer", InputLayer.self),
        ("Dense", Dense.self),
        ("Conv2D", Conv2D.self),
        ("MaxPooling2D", MaxPooling2D.self),
        ("AveragePooling2D", AveragePooling2D.self),
        ("Flatten", Flatten.self),
        ("Reshape", Reshape.self),
        ("Dropout", Dropout.self),
        ("Activation", ActivationLayer.self),
        ("Embedding", Embedding.self),
        ("SimpleRNN", SimpleRNN.self),
        ("LSTM", LSTM.self),
        ("GRU", GRU.self),
        ("Bidirectional", Bidirectional.self),
        ("TimeDistributed", TimeDistributed.self),
        ("Concatenate", Concatenate.self),
        ("Add", Add.self),
        ("Subtract", Subtract.self),
        ("Multiply", Multiply.self),
        ("Average", Average.self),
        ("Maximum", Maximum.self),
        ("Minimum", Minimum.self),
        ("Dot", Dot.self),
        ("RepeatVector", RepeatVector.self),
        ("Permute", Permute.self),
        ("Lambda", Lambda.self),
        ("BatchNormalization", BatchNormalization.self),
        ("LayerNormalization", LayerNormalization.self),
        ("Conv1D", Conv1D.self),
        ("Conv2DTranspose", Conv2DTranspose.self),
        ("DepthwiseConv2D", DepthwiseConv2D.self),
        ("SeparableConv2D", SeparableConv2D.self),
        ("MaxPooling1D", MaxPooling1D.self),
        ("AveragePooling1D", AveragePooling1D.self),
        ("GlobalMaxPooling1D", GlobalMaxPooling1D.self),
        ("GlobalAveragePooling1D", GlobalAveragePooling1D.self),
        ("GlobalMaxPooling2D", GlobalMaxPooling2D.self),
        ("GlobalAveragePooling2D", GlobalAveragePooling2D.self),
        ("ZeroPadding1D", ZeroPadding1D.self),
        ("ZeroPadding2D", ZeroPadding2D.self),
        ("Cropping1D", Cropping1D.self),
        ("Cropping2D", Cropping2D.self),
        ("UpSampling1D", UpSampling1D.self),
        ("UpSampling2D", UpSampling2D.self),
        ("SpatialDropout1D", SpatialDropout1D.self),
        ("SpatialDropout2D", SpatialDropout2D.self),
        ("GaussianNoise", GaussianNoise.self),
        ("ActivityRegularization", ActivityRegularization.self),
        ("Masking", Masking.self),
        ("ReLU", ReLU.self),
        ("LeakyReLU", LeakyReLU.self),
        ("PReLU", PReLU.self),
        ("ELU", ELU.self),
        ("Softmax", Softmax.self),
        ("Rescaling", Rescaling.self),
        ("Normalization", Normalization.self),
        ("Resizing", Resizing.self),
        ("RandomFlip", RandomFlip.self),
        ("RandomRotation", RandomRotation.self),
        ("RandomZoom", RandomZoom.self),
        ("RandomTranslation", RandomTranslation.self),
        ("TextVectorization", TextVectorization.self),
        ("MultiHeadAttention", MultiHeadAttention.self),
        ("Attention", Attention.self),
        ("AdditiveAttention", AdditiveAttention.self),
    ]

    /// Keras's other spellings of the same classes.
    static let aliases: [String: String] = [
        "MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D", "MaxPool1D": "MaxPooling1D",
        "AvgPool1D": "AveragePooling1D", "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
        "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
        "Convolution1D": "Conv1D", "Convolution2DTranspose": "Conv2DTranspose", "SeparableConvolution2D": "SeparableConv2D",
    ]

    struct CustomEntry: @unchecked Sendable {
        let type: Layer.Type
        let registeredName: String
        let module: String
    }

    /// By registered name (for loading) and by class (for saving: the last registration wins).
    private static let custom = Lock<(byName: [String: CustomEntry], byClass: [ObjectIdentifier: CustomEntry])>(([:], [:]))
    private static let functions = Lock<[String: RegisteredFunction]>([:])

    static func register(_ type: Layer.Type, registeredName: String, module: String) {
        let entry = CustomEntry(type: type, registeredName: registeredName, module: module)
        custom.withLock {
            $0.byName[registeredName] = entry
            $0.byClass[ObjectIdentifier(type)] = entry
        }
    }

    static func register(_ function: RegisteredFunction) {
        functions.withLock { $0[function.registeredName] = function }
    }

    /// A function registered for `Lambda` layers, by its registered name ("pkg>name").
    public static func function(named name: String) -> RegisteredFunction? { functions.withLock { $0[name] } }

    /// The class for a serialized layer's `class_name` and `registered_name`.
    static func layerType(className: String, registeredName: String?) -> Layer.Type? {
        if let registeredName, let entry = custom.withLock({ $0.byName[registeredName] }) { return entry.type }
        let name = aliases[className] ?? className
        if let builtin = builtins.first(where: { $0.className == name }) { return builtin.type }
        // A config written without a registered name still finds a class registered under it.
        return custom.withLock { entries in
            entries.byName.values.first { $0.registeredName.split(separator: ">").last.map(String.init) == className }?.type
        }
    }

    /// The module and registered name a layer is saved under; nil for an unregistered class.
    static func identity(of layer: Layer) -> (module: String, registeredName: ConfigValue)? {
        let layerClass = Swift.type(of: layer)
        if builtins.contains(where: { $0.type == layerClass }) { return ("keras.layers", .null) }
        return custom.withLock { $0.byClass[ObjectIdentifier(layerClass)] }.map { ($0.module, .string($0.registeredName)) }
    }
}

/// A function a `Lambda` layer can be saved with: registered under a name that loading
/// looks up (Keras's registered functions).
public struct RegisteredFunction: Sendable {
    /// "package>name", as Keras writes it.
    public let registeredName: String
    public let function: @Sendable (Tensor) throws -> Tensor
}

/// Registers a layer class so that saved models can name it and loading can rebuild it
/// (Keras's `@register_keras_serializable(package=..., name=...)`). The class implements
/// `getConfig()` (adding its arguments to `super.getConfig()`) and `fromConfig(_:)`.
/// It is saved with `registered_name` "package>name"; Keras reads such a file when a
/// Python class is registered under the same name.
public func registerKerasSerializable(_ type: Layer.Type, package: String = "Custom", name: String? = nil) {
    let className = name ?? String(describing: type)
    let module = String(reflecting: type).split(separator: ".").first.map(String.init) ?? "swift"
    LayerRegistry.register(type, registeredName: "\(package)>\(className)", module: module)
}

/// Registers a function for `Lambda` layers under "package>name" and returns it for
/// `Lambda(_:)`. A saved model refers to it by that name; loading finds it again, so
/// register it before loading too.
@discardableResult
public func registerKerasSerializable(name: String, package: String = "Custom",
                                      _ function: @escaping @Sendable (Tensor) throws -> Tensor) -> RegisteredFunction {
    let registered = RegisteredFunction(registeredName: "\(package)>\(name)", function: function)
    LayerRegistry.register(registered)
    return registered
}

// MARK: Layers to and from configs

/// A layer as Keras's `serialize_keras_object` writes it: module, class name, config,
/// registered name and build config. Throws, naming the layer, for a layer that could not
/// be rebuilt from the file: an unregistered class, or a `Lambda` over an unnamed closure.
public func serializeLayer(_ layer: Layer) throws -> ConfigValue {
    if let modelLayer = layer as? ModelLayer { return try serializeModel(modelLayer.model, includeCompile: true) }
    try checkSerializable(layer)
    guard let (module, registeredName) = LayerRegistry.identity(of: layer) else { throw notSerializable(layer) }
    var object: ConfigObject = [
        "module": .string(module), "class_name": .string(layer.className), "config": .object(layer.getConfig()),
        "registered_name": registeredName,
    ]
    if let build = layer.buildConfig { object["build_config"] = .object(build) }
    return .object(object)
}

/// Throws for the first layer (this one or one inside it) that cannot be saved.
func checkSerializable(_ layer: Layer) throws {
    if let lambda = layer as? Lambda, lambda.registeredFunctionName == nil {
        throw KerasError.invalidArgument(
            "Layer \"\(lambda.name)\" is a Lambda over a closure, which cannot be saved: register the function with registerKerasSerializable(name:package:_:) and build the layer with Lambda(registeredFunction)")
    }
    if layer is ModelLayer { return }
    guard LayerRegistry.identity(of: layer) != nil else { throw notSerializable(layer) }
    for sublayer in layer.sublayers { try checkSerializable(sublayer) }
}

private func notSerializable(_ layer: Layer) -> KerasError {
    .invalidArgument(
        "Layer \"\(layer.name)\" of class \(type(of: layer)) cannot be saved: register the class with registerKerasSerializable(\(type(of: layer)).self, package: ...) and implement getConfig() and fromConfig(_:)")
}

/// Builds a layer from its serialized form (Keras's `deserialize_keras_object` for a layer):
/// `{"class_name": "Dense", "config": {...}, ...}`. Errors name the layer and the key.
public func deserializeLayer(_ value: ConfigValue) throws -> Layer {
    do { return try deserializeLayer(value, context: "layer config") } catch let error as SavingError {
        throw KerasError.invalidArgument(error.message)
    }
}

func deserializeLayer(_ value: ConfigValue, context: String) throws -> Layer {
    guard let object = value.objectValue else { throw SavingError("\(context): expected a serialized layer object, found \(value.excerpt)") }
    guard let className = object["class_name"]?.stringValue else {
        throw SavingError("\(context): a serialized layer needs a 'class_name', found \(value.excerpt)")
    }
    let registeredName = object["registered_name"]?.stringValue
    guard let values = (object["config"] ?? .object([:])).objectValue else {
        throw SavingError("\(context): the 'config' of a \(className) must be an object")
    }
    if ["Sequential", "Functional", "Model"].contains(className) {
        throw SavingError("\(context): a \(className) model inside a layer list is only supported in functional models")
    }
    guard let type = LayerRegistry.layerType(className: className, registeredName: registeredName) else {
        let shown = registeredName ?? className
        let package = shown.contains(">") ? String(shown.split(separator: ">")[0]) : "Custom"
        throw SavingError(
            "unknown layer class '\(shown)' (register it with registerKerasSerializable(\(className).self, package: \"\(package)\"))")
    }
    let config = LayerConfig(className: className, values: values)
    try checkDType(config.value("dtype"), what: config.what)
    let trainable = try config.bool("trainable", default: true)
    let layer = try type.fromConfig(config)
    try config.checkAllRead()
    layer.trainable = trainable
    return layer
}
