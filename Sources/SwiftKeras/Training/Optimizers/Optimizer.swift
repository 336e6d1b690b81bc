import Glibc

/// The base of every optimizer, Keras 3's `Optimizer`: learning rate, gradient clipping
/// (clipnorm per variable, clipvalue elementwise, global_clipnorm over all), decoupled weight
/// decay, an exponential moving average of the weights (EMA), the step counter, and
/// per-variable slots. Subclasses write only the update rule, in place, over raw pointers.
///
/// One step, in Keras's order: clip the gradients; decay each weight by
/// `learningRate · weightDecay`; the update rule; with EMA, update the averages (and every
/// `emaOverwriteFrequency` steps copy them into the weights); project constrained weights.
open class Optimizer {
    /// The learning rate as given: a number, or a schedule of the step.
    private var rate: any LearningRateSchedule
    public let clipnorm: Float?
    public let clipvalue: Float?
    public let globalClipnorm: Float?
    /// Decoupled weight decay: each step first scales every weight by 1 − lr·weightDecay.
    public let weightDecay: Float?
    /// Keep an exponential moving average of the weights (`emaMomentum`); fit() ends by
    /// copying the averages into the weights, as Keras does.
    public let useEma: Bool
    public let emaMomentum: Float
    /// With EMA: copy the averages into the weights every this many steps (nil: only at the end of fit).
    public let emaOverwriteFrequency: Int?
    /// Steps applied so far (Keras's `iterations`).
    public internal(set) var iterations = 0
    /// Each variable's state tensors: the update rule's `slotCount` slots, then its moving
    /// average with EMA (Saving/OptimizerState.swift reads and restores them). Each entry
    /// holds its variable, as Keras's optimizer holds the variables it was built for: the key
    /// (the variable's identity) then cannot be reused by a new variable while the entry
    /// lives, and a slot never serves a variable of another size.
    var slots: [ObjectIdentifier: VariableSlots] = [:]
    /// Variables and name fragments that weight decay leaves alone (the variables are held,
    /// for the same reason as the slots').
    private var decayExcludedVariables: [ObjectIdentifier: Variable] = [:]
    private var decayExcludedNames: [String] = []
    /// Serializes steps (and state loading): one optimizer shared by models on two threads
    /// applies one step at a time.
    let stepLock = Lock(())

    /// Keras's class name ("SGD", "Adam").
    open var name: String { String(describing: type(of: self)) }

    public init(learningRate: any LearningRateSchedule, clipnorm: Float?, clipvalue: Float?, globalClipnorm: Float?,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        rate = learningRate
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
        self.weightDecay = weightDecay
        self.useEma = useEma
        self.emaMomentum = emaMomentum
        self.emaOverwriteFrequency = emaOverwriteFrequency
    }

    /// The learning rate of the next step: the schedule's value at `iterations`, as in Keras.
    /// Setting it fixes the rate from then on (replacing a schedule).
    public var learningRate: Float {
        get { rate(iterations) }
        set { rate = newValue }
    }

    /// The schedule the learning rate follows, nil when it is a fixed number.
    public var learningRateSchedule: (any LearningRateSchedule)? { rate.isConstant ? nil : rate }

    /// Sets a fixed learning rate for a callback; with a schedule, throws as Keras does.
    func setLearningRate(_ value: Float, by callback: String) throws {
        if let schedule = learningRateSchedule {
            throw KerasError.invalidArgument(
                "\(callback): the optimizer \(name) was created with a learning rate schedule (\(type(of: schedule))), hence its learning rate is not settable")
        }
        learningRate = value
    }

    /// Leaves these variables, and every variable whose name contains one of `names`, out of
    /// weight decay (Keras's `exclude_from_weight_decay`; e.g. `names: ["bias"]`).
    public func excludeFromWeightDecay(variables: [Variable] = [], names: [String] = []) {
        stepLock.withLock { _ in
            for variable in variables { decayExcludedVariables[ObjectIdentifier(variable)] = variable }
            decayExcludedNames += names
        }
    }

    private func decays(_ variable: Variable) -> Bool {
        decayExcludedVariables[ObjectIdentifier(variable)] !== variable && !decayExcludedNames.contains { variable.name.contains($0) }
    }

    /// Throws for arguments Keras refuses, naming the optimizer and the argument (run by compile).
    open func checkArguments() throws {
        func bad(_ argument: String, _ value: Any, _ expected: String) -> KerasError {
            .invalidArgument("\(name): \(argument) must be \(expected), received \(argument)=\(value)")
        }
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw bad("weight_decay", weightDecay, "a non-negative number") }
        if useEma, !(emaMomentum >= 0 && emaMomentum <= 1) { throw bad("ema_momentum", emaMomentum, "in [0, 1]") }
        if let emaOverwriteFrequency, emaOverwriteFrequency < 1 {
            throw bad("ema_overwrite_frequency", emaOverwriteFrequency, "a positive integer or nil")
        }
        for (argument, value) in [("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", globalClipnorm)] {
            if let value, !(value > 0) { throw bad(argument, value, "a positive number") }
        }
        if [clipnorm, clipvalue, globalClipnorm].compactMap({ $0 }).count > 1 {
            throw KerasError.invalidArgument("\(name): only one of clipnorm, clipvalue and global_clipnorm can be set")
        }
    }

    /// Number of state tensors the update rule keeps per variable (momentum, velocity, ...).
    open var slotCount: Int { 0 }

    /// Initial value of the slots (Adagrad starts its accumulator above zero).
    open var initialSlotValue: Float { 0 }

    /// The optimizer's scalar state beyond iterations and learning rate, in Keras's order
    /// (Nadam's `u_product`); saved after the slots.
    open var scalarState: [Float] {
        get { [] }
        set {}
    }

    /// Runs once per step before the update rule (Nadam advances its momentum product).
    open func prepareStep(_ step: Int) {}

    /// Updates `weights` (count values) in place from `grads` at step `step` (1-based).
    /// The rule must be elementwise: large variables are updated in chunks on the thread pool
    /// (`parallelFor(elements:)`), each chunk with pointers offset to its first element.
    open func update(weights: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int,
                     slots: [UnsafeMutablePointer<Float>], step: Int) {}

    /// The slots of a fresh variable: the rule's, then the moving average with EMA.
    func freshSlots(_ variable: Variable) -> [Tensor] {
        (0..<slotCount).map { _ in Tensor(repeating: initialSlotValue, shape: variable.shape) }
            + (useEma ? [Tensor.zeros(variable.shape)] : [])
    }

    /// `variable`'s slots, created fresh on first use, and again if the stored ones no longer
    /// match the variable's shape (the update rules index them with the variable's count).
    func slots(for variable: Variable) -> [Tensor] {
        let id = ObjectIdentifier(variable)
        if let entry = slots[id], entry.variable === variable,
           entry.tensors.count == slotCount + (useEma ? 1 : 0), entry.tensors.allSatisfy({ $0.shape == variable.shape }) {
            return entry.tensors
        }
        let fresh = freshSlots(variable)
        slots[id] = VariableSlots(variable: variable, tensors: fresh)
        return fresh
    }

    /// Replaces slot `index` of `variable` (loading a saved state); the shape must be the variable's.
    func setSlot(_ index: Int, of variable: Variable, to tensor: Tensor) throws {
        guard tensor.shape == variable.shape else {
            throw KerasError.invalidArgument(
                "\(name): state \(index) of variable \(variable.name) must have its shape \(shapeString(variable.shape)), received \(shapeString(tensor.shape))")
        }
        var tensors = slots(for: variable)
        guard tensors.indices.contains(index) else {
            throw KerasError.invalidArgument("\(name): variable \(variable.name) has \(tensors.count) state tensors, not \(index + 1)")
        }
        tensors[index] = tensor.detached
        slots[ObjectIdentifier(variable)] = VariableSlots(variable: variable, tensors: tensors)
    }

    /// Applies one step: clips the gradients, decays, then updates every variable.
    ///
    /// Steps are serialized: models on two threads may share one optimizer (each step then
    /// advances the one `iterations` count and learning-rate schedule they share).
    public func apply(gradients: [Tensor], to variables: [Variable]) throws {
        try stepLock.withLock { _ in try applyStep(gradients: gradients, to: variables) }
    }

    private func applyStep(gradients: [Tensor], to variables: [Variable]) throws {
        guard gradients.count == variables.count else {
            throw KerasError.invalidArgument("\(name).apply: \(gradients.count) gradients for \(variables.count) variables")
        }
        for (g, v) in zip(gradients, variables) where g.shape != v.shape {
            throw KerasError.invalidArgument(
                "\(name).apply: gradient of shape \(shapeString(g.shape)) for variable \(v.name) of shape \(shapeString(v.shape))")
        }
        var grads = gradients.map { $0.detached }
        clip(&grads)
        // The update rules read `learningRate` at the step count before this step.
        let step = iterations + 1
        defer { iterations = step }
        if let weightDecay, weightDecay != 0 {
            let factor = learningRate * weightDecay
            for variable in variables where decays(variable) {
                variable.update { weights, count in
                    parallelFor(elements: count) { part in
                        for i in part { weights[i] -= weights[i] * factor }
                    }
                }
            }
        }
        prepareStep(step)
        // Resolved before any update, so a variable listed twice shares one set of slots.
        let state = variables.map { slots(for: $0) }
        for ((variable, grad), tensors) in zip(zip(variables, grads), state) {
            let state = tensors.map { $0.storage.pointer }
            variable.update { weights, count in
                parallelFor(elements: count) { part in
                    let first = part.lowerBound
                    update(weights: weights + first, grads: grad.storage.pointer + first, count: part.count,
                           slots: state.map { $0 + first }, step: step)
                }
            }
        }
        if useEma {
            // The first step starts the averages at the weights.
            let momentum = iterations == 0 ? 0 : emaMomentum
            let overwrite = emaOverwriteFrequency.map { step % $0 == 0 } ?? false
            for (variable, tensors) in zip(variables, state) {
                let average = tensors[slotCount].storage.pointer
                variable.update { weights, count in
                    parallelFor(elements: count) { part in
                        for i in part {
                            average[i] = momentum * average[i] + (1 - momentum) * weights[i]
                            if overwrite { weights[i] = average[i] }
                        }
                    }
                }
            }
        }
        // Weight constraints (max_norm, non_neg, ...) project the updated values, as in Keras.
        for variable in variables where variable.trainable {
            if let constraint = variable.constraint { try variable.assign(try constraint(withoutGradients { variable.value })) }
        }
    }

    /// With EMA, copies each variable's moving average into it (Keras's
    /// `finalize_variable_values`, run at the end of fit).
    public func finalizeVariableValues(_ variables: [Variable]) throws {
        guard useEma else { return }
        try stepLock.withLock { _ in
            for variable in variables {
                guard let entry = slots[ObjectIdentifier(variable)], entry.variable === variable,
                      entry.tensors.count > slotCount, entry.tensors[slotCount].shape == variable.shape else { continue }
                try variable.assign(entry.tensors[slotCount].detached.mapDetached { $0 })
            }
        }
    }

    private func clip(_ grads: inout [Tensor]) {
        if let clipvalue {
            grads = grads.map { $0.mapDetached { Swift.min(Swift.max($0, -clipvalue), clipvalue) } }
        }
        if let clipnorm {
            grads = grads.map { g in
                let norm = l2Norm(g)
                return norm > clipnorm ? g.mapDetached { $0 * clipnorm / norm } : g
            }
        }
        if let globalClipnorm {
            let norm = Glibc.sqrtf(grads.reduce(0) { $0 + l2Norm($1) * l2Norm($1) })
            if norm > globalClipnorm { grads = grads.map { g in g.mapDetached { $0 * globalClipnorm / norm } } }
        }
    }
}

/// One variable's optimizer state, held with the variable it belongs to.
struct VariableSlots {
    let variable: Variable
    var tensors: [Tensor]
}

/// sqrt(Σ x²) in Double, over fixed chunks of elements whose sums are added in order.
private func l2Norm(_ t: Tensor) -> Float {
    let p = t.storage.pointer
    let chunking = Chunking.elements(t.count)
    var partials = [Double](repeating: 0, count: chunking.count)
    partials.withUnsafeMutableBufferPointer { partials in
        parallelFor(chunking) { range, chunk in
            var sum: Double = 0
            for i in range { sum += Double(p[i] * p[i]) }
            partials[chunk] = sum
        }
    }
    return Float(partials.reduce(0, +).squareRoot())
}
