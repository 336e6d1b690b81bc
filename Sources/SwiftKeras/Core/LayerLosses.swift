/// Losses that layers contribute besides the compiled loss (Keras's `model.losses`): the
/// penalties of weight regularizers, computed from the weights' current values, and losses
/// added during a forward pass (activity regularizers, `addLoss`), collected per pass.
///
/// A forward pass run inside `LayerLosses.collecting` gathers every added loss, including
/// those of layers nested in wrappers and inner models; `fit`, `evaluate` and
/// `trainOnBatch` add them, with the weight penalties, to the loss they minimize and report.
public enum LayerLosses {
    /// Losses added during one forward pass, in the order the layers ran.
    final class Collector: @unchecked Sendable {
        var losses: [Tensor] = []
    }

    @TaskLocal static var current: Collector?

    /// Runs `body` (a forward pass) and returns its result with the losses its layers added.
    public static func collecting<R>(_ body: () throws -> R) rethrows -> (result: R, losses: [Tensor]) {
        let collector = Collector()
        let result = try $current.withValue(collector) { try body() }
        return (result, collector.losses)
    }

    /// The sum of `losses` as a scalar, or nil when there are none.
    static func total(_ losses: [Tensor]) throws -> Tensor? {
        guard var sum = losses.first else { return nil }
        for loss in losses.dropFirst() { sum = try sum + loss }
        return sum
    }
}

extension Layer {
    /// Adds a scalar loss from inside `call` (Keras's `add_loss`): training minimizes it with
    /// the compiled loss. Outside a collected forward pass it is dropped.
    public func addLoss(_ loss: Tensor) throws {
        guard loss.count == 1 else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": add_loss expects a scalar loss, received shape \(shapeString(loss.shape))")
        }
        LayerLosses.current?.losses.append(loss.rank == 0 ? loss : try loss.reshaped([]))
    }

    /// The activity regularizer's penalty on `output`, divided by the batch size (Keras 3).
    func addActivityLoss(_ output: Tensor) throws {
        guard let activityRegularizer, LayerLosses.current != nil else { return }
        var penalty = try activityRegularizer(output)
        if output.rank > 0, output.shape[0] > 0 { penalty = penalty * (1 / Float(output.shape[0])) }
        try addLoss(penalty)
    }

    /// Gives `variable` the regularizer and constraint of a weight argument ("kernel" names
    /// `kernel_regularizer` and `kernel_constraint` in errors).
    func attach(regularizer: Regularizer?, constraint: Constraint?, to variable: Variable, argument: String) throws {
        if let regularizer {
            try regularizer.validate(layer: name, argument: "\(argument)_regularizer")
            variable.regularizer = { try regularizer($0) }
        }
        if let constraint {
            try constraint.validate(layer: name, argument: "\(argument)_constraint", weightShape: variable.shape)
            variable.constraint = { try constraint($0) }
        }
    }

    /// The penalties of this layer's trainable weights' regularizers, from their current values.
    public var regularizationLosses: [Tensor] {
        get throws { try trainableWeights.compactMap { variable in try variable.regularizer?(variable.value) } }
    }
}

extension Model {
    /// The penalties of every trainable weight's regularizer (each shared weight once), from
    /// the weights' current values. Losses added during a forward pass come from
    /// `LayerLosses.collecting` around that pass.
    public var regularizationLosses: [Tensor] {
        get throws { try trainableWeights.compactMap { variable in try variable.regularizer?(variable.value) } }
    }

    /// Runs the model's forward pass and returns its outputs with every layer loss of that
    /// pass (activity penalties, `addLoss`) and of the weights (regularizers), for the
    /// training loss.
    func callCollectingLosses(_ inputs: [Tensor], training: Bool) throws
        -> (outputs: [(output: Tensor, mask: Tensor?)], extraLoss: Tensor?) {
        let (outputs, added) = try LayerLosses.collecting { try callWithMasks(inputs, training: training) }
        return (outputs, try LayerLosses.total(added + regularizationLosses))
    }
}
