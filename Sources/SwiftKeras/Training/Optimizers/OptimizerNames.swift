/// An optimizer from Keras's string name with its default settings (case does not matter,
/// as in Keras: "adam", "AdamW", "nadam").
public func optimizer(named name: String) throws -> Optimizer {
    switch name.lowercased() {
    case "sgd": return SGD()
    case "adam": return Adam()
    case "adamw": return AdamW()
    case "nadam": return Nadam()
    case "adamax": return Adamax()
    case "adadelta": return Adadelta()
    case "lion": return Lion()
    case "rmsprop": return RMSprop()
    case "adagrad": return Adagrad()
    default:
        throw KerasError.invalidArgument(
            "Could not interpret optimizer identifier: '\(name)' (expected one of: sgd, adam, adamw, nadam, adamax, adadelta, lion, rmsprop, adagrad)")
    }
}
