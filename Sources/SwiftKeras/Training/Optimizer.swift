import Glibc

/// The base of every optimizer: learning rate, gradient clipping (clipnorm per variable,
/// clipvalue elementwise, global_clipnorm over all), the step counter, and per-variable
/// slots. Subclasses write only the update rule, in place, over raw pointers.
open class Optimizer {
    /// The learning rate as given: a number, or a schedule of the step.
    private var rate: any LearningRateSchedule
    public let clipnorm: Float?
    public let clipvalue: Float?
    public let globalClipnorm: Float?
    /// Steps applied so far (Keras's `iterations`).
    public internal(set) var iterations = 0
    /// Each variable's state tensors (Saving/OptimizerState.swift reads and restores them).
    var slots: [ObjectIdentifier: [Tensor]] = [:]

    /// Keras's class name ("SGD", "Adam").
    open var name: String { String(describing: type(of: self)) }

    public init(learningRate: any LearningRateSchedule, clipnorm: Float?, clipvalue: Float?, globalClipnorm: Float?) {
        rate = learningRate
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
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

    /// Number of state tensors the update rule keeps per variable (momentum, velocity, ...).
    open var slotCount: Int { 0 }

    /// Initial value of the slots (Adagrad starts its accumulator above zero).
    open var initialSlotValue: Float { 0 }

    /// Updates `weights` (count values) in place from `grads` at step `step` (1-based).
    /// The rule must be elementwise: large variables are updated in chunks on the thread pool
    /// (`parallelFor(elements:)`), each chunk with pointers offset to its first element.
    open func update(weights: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, count: Int,
                     slots: [UnsafeMutablePointer<Float>], step: Int) {}

    /// Applies one step: clips the gradients, then updates every variable.
    public func apply(gradients: [Tensor], to variables: [Variable]) throws {
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
        for (variable, grad) in zip(variables, grads) {
            let id = ObjectIdentifier(variable)
            if slots[id] == nil {
                slots[id] = (0..<slotCount).map { _ in Tensor(repeating: initialSlotValue, shape: variable.shape) }
            }
            let state = slots[id]!.map { $0.storage.pointer }
            variable.update { weights, count in
                parallelFor(elements: count) { part in
                    let first = part.lowerBound
                    update(weights: weights + first, grads: grad.storage.pointer + first, count: part.count,
                           slots: state.map { $0 + first }, step: step)
                }
            }
        }
        // Weight constraints (max_norm, non_neg, ...) project the updated values, as in Keras.
        for variable in variables where variable.trainable {
            if let constraint = variable.constraint { try variable.assign(try constraint(withoutGradients { variable.value })) }
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

/// Stochastic gradient descent with optional (Nesterov) momentum, Keras 3's update rule:
/// v = momentum·v − lr·g; w += v (plain) or w += momentum·v − lr·g (Nesterov).
public final class SGD: Optimizer {
    public let momentum: Float
    public let nesterov: Bool

    public init(learningRate: any LearningRateSchedule = 0.01, momentum: Float = 0, nesterov: Bool = false,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) {
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { momentum > 0 ? 1 : 0 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, m = momentum
        guard m > 0 else {
            for i in 0..<count { w[i] -= lr * g[i] }
            return
        }
        let v = slots[0]
        if nesterov {
            for i in 0..<count { v[i] = m * v[i] - lr * g[i]; w[i] += m * v[i] - lr * g[i] }
        } else {
            for i in 0..<count { v[i] = m * v[i] - lr * g[i]; w[i] += v[i] }
        }
    }
}

/// Adam (Kingma & Ba) with Keras's defaults and its bias-corrected step size.
public final class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let amsgrad: Bool

    public init(learningRate: any LearningRateSchedule = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                amsgrad: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { amsgrad ? 3 : 2 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let b1 = beta1, b2 = beta2, eps = epsilon
        let alpha = learningRate * Float(Glibc.sqrt(1 - Glibc.pow(Double(b2), Double(step))) / (1 - Glibc.pow(Double(b1), Double(step))))
        let m = slots[0], v = slots[1], vMax = amsgrad ? slots[2] : nil
        // Eight lanes at a time (the compiler will not vectorize four possibly aliasing
        // pointers itself), then the tail; the same arithmetic per element either way.
        var i = 0
        while i + 8 <= count {
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            var mi = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
            var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
            var wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
            mi += (gi - mi) * (1 - b1)
            vi += (gi * gi - vi) * (1 - b2)
            var denominator = vi
            if let vMax {
                let old = UnsafeRawPointer(vMax + i).loadUnaligned(as: SIMD8<Float>.self)
                denominator = old.replacing(with: vi, where: vi .> old)
                UnsafeMutableRawPointer(vMax + i).storeBytes(of: denominator, as: SIMD8<Float>.self)
            }
            wi -= alpha * mi / (denominator.squareRoot() + eps)
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(w + i).storeBytes(of: wi, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            m[i] += (g[i] - m[i]) * (1 - b1)
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
            var denominator = v[i]
            if let vMax {
                vMax[i] = Swift.max(vMax[i], v[i])
                denominator = vMax[i]
            }
            w[i] -= alpha * m[i] / (denominator.squareRoot() + eps)
            i += 1
        }
    }
}

/// RMSprop with Keras's defaults, optional momentum and centering.
public final class RMSprop: Optimizer {
    public let rho: Float
    public let momentum: Float
    public let epsilon: Float
    public let centered: Bool

    public init(learningRate: any LearningRateSchedule = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                centered: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) {
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    /// Slots: velocity, then momentum buffer and mean gradient when used.
    public override var slotCount: Int { 3 }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, r = rho, eps = epsilon, mom = momentum
        let velocity = slots[0], buffer = slots[1], meanGrad = slots[2]
        for i in 0..<count {
            velocity[i] = r * velocity[i] + (1 - r) * g[i] * g[i]
            var denominator = velocity[i]
            if centered {
                meanGrad[i] = r * meanGrad[i] + (1 - r) * g[i]
                denominator -= meanGrad[i] * meanGrad[i]
            }
            let increment = lr * g[i] / (denominator + eps).squareRoot()
            if mom > 0 {
                buffer[i] = mom * buffer[i] + increment
                w[i] -= buffer[i]
            } else {
                w[i] -= increment
            }
        }
    }
}

/// Adagrad with Keras's defaults (accumulator starts at 0.1).
public final class Adagrad: Optimizer {
    public let initialAccumulatorValue: Float
    public let epsilon: Float

    public init(learningRate: any LearningRateSchedule = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) {
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { 1 }
    public override var initialSlotValue: Float { initialAccumulatorValue }

    public override func update(weights w: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, count: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int) {
        let lr = learningRate, eps = epsilon, acc = slots[0]
        for i in 0..<count {
            acc[i] += g[i] * g[i]
            w[i] -= lr * g[i] / (acc[i] + eps).squareRoot()
        }
    }
}

/// An optimizer from Keras's string name with its default settings.
public func optimizer(named name: String) throws -> Optimizer {
    switch name.lowercased() {
    case "sgd": return SGD()
    case "adam": return Adam()
    case "rmsprop": return RMSprop()
    case "adagrad": return Adagrad()
    default:
        throw KerasError.invalidArgument("Could not interpret optimizer identifier: '\(name)' (expected one of: sgd, adam, rmsprop, adagrad)")
    }
}
