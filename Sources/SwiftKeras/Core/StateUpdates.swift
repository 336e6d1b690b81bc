/// How a forward pass changes a layer's non-trainable state, such as BatchNormalization's
/// moving mean and variance: every such change goes through `Layer.updateState(_:to:)`.
///
/// The new value is computed from detached tensors and stored without a tape entry, so
/// state never receives gradients. By default it is assigned at once (as Keras's
/// `variable.assign` in `call`). A trainer that runs replicas of a model (data parallelism)
/// can instead receive every update with `StateUpdates.intercepting`, for example to
/// average the moving statistics of all replicas before assigning them.
public enum StateUpdates {
    /// Receives a state update in place of its assignment: the layer, its variable and the
    /// value the forward pass computed for it.
    public typealias Handler = @Sendable (_ layer: Layer, _ variable: Variable, _ value: Tensor) throws -> Void

    /// The handler in a class: a task-local holding an optional closure itself crashed
    /// `withValue` in Swift 6.3.1 release builds (swift_task_localValuePush).
    final class Interceptor: Sendable {
        let handle: Handler
        init(_ handle: @escaping Handler) { self.handle = handle }
    }

    @TaskLocal static var interceptor: Interceptor?

    /// The handler of the innermost `intercepting`, nil outside.
    static var handler: Handler? { interceptor?.handle }

    /// Runs `body` with every state update of its forward passes sent to `handler` instead of
    /// being assigned. The handler decides when and what to assign (`variable.assign`).
    public static func intercepting<R>(_ handler: @escaping Handler, _ body: () throws -> R) rethrows -> R {
        try $interceptor.withValue(Interceptor(handler)) { try body() }
    }
}

extension Layer {
    /// Sets non-trainable state from the forward pass (a moving statistic), off the tape.
    public func updateState(_ variable: Variable, to value: Tensor) throws {
        let value = value.detached
        guard value.shape == variable.shape else {
            throw KerasError.invalidArgument(
                "Layer \"\(name)\": state \(variable.name) has shape \(shapeString(variable.shape)), the update has \(shapeString(value.shape))")
        }
        if let handler = StateUpdates.handler {
            try handler(self, variable, value)
        } else {
            try variable.assign(value)
        }
    }
}
