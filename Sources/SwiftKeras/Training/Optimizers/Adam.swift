import Glibc

/// Adam (Kingma & Ba) with Keras's defaults and its bias-corrected step size.
public class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let amsgrad: Bool

    public init(learningRate: any LearningRateSchedule = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                amsgrad: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                weightDecay: Float? = nil, useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        super.init(learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm,
                   weightDecay: weightDecay, useEma: useEma, emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
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

/// Adam with decoupled weight decay (Loshchilov & Hutter), Keras's AdamW: Adam whose
/// `weightDecay` defaults to 0.004.
public final class AdamW: Adam {
    public init(learningRate: any LearningRateSchedule = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7, amsgrad: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad, clipnorm: clipnorm,
                   clipvalue: clipvalue, globalClipnorm: globalClipnorm, weightDecay: weightDecay, useEma: useEma,
                   emaMomentum: emaMomentum, emaOverwriteFrequency: emaOverwriteFrequency)
    }
}
