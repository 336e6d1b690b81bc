import Glibc

// Image resizing and affine resampling of (batch, height, width, channels) tensors, with
// TensorFlow's conventions (what Keras's Resizing, RandomRotation/Zoom/Translation and the
// image loaders run on the TensorFlow backend).

/// How pixels between grid points are computed.
public enum Interpolation: String, Sendable, CaseIterable {
    case bilinear, nearest
}

/// What an affine transform reads outside the input (Keras's `fill_mode`).
public enum FillMode: String, Sendable, CaseIterable {
    /// d c b a | a b c d | d c b a
    case reflect
    /// a b c d | a b c d | a b c d
    case wrap
    /// k k k k | a b c d | k k k k, with k the fill value
    case constant
    /// a a a a | a b c d | d d d d
    case nearest
}

/// Where output pixel i reads from along one axis of a resize: two neighbours and the weight
/// of the upper one (bilinear), or one source pixel (nearest).
private struct ResizeTaps {
    var lower: [Int], upper: [Int], weight: [Float]

    /// TensorFlow's half-pixel-centre grid: source coordinate (i + 0.5) * in/out - 0.5.
    init(input: Int, output: Int, interpolation: Interpolation) {
        let scale = Float(input) / Float(output)
        lower = []; upper = []; weight = []
        for i in 0..<output {
            switch interpolation {
            case .bilinear:
                let x = (Float(i) + 0.5) * scale - 0.5
                let floor = x.rounded(.down)
                lower.append(Swift.max(Int(floor), 0))
                upper.append(Swift.min(Int(x.rounded(.up)), input - 1))
                weight.append(x - floor)
            case .nearest:
                let x = Swift.max(Swift.min(Int(((Float(i) + 0.5) * scale).rounded(.down)), input - 1), 0)
                lower.append(x); upper.append(x); weight.append(0)
            }
        }
    }
}

/// Resizes a batch of images (batch, height, width, channels) as `tf.image.resize` does
/// without antialiasing (half-pixel centres; bilinear or nearest), with its gradient.
public func resizeImages(_ images: Tensor, height: Int, width: Int, interpolation: Interpolation = .bilinear) throws -> Tensor {
    guard images.rank == 4 else {
        throw TensorError.invalidArgument(op: "resize", message: "expected images of rank 4 (batch, height, width, channels), received shape \(shapeString(images.shape))")
    }
    guard height > 0, width > 0 else {
        throw TensorError.invalidArgument(op: "resize", message: "the target size must be positive, received (\(height), \(width))")
    }
    let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    guard h > 0, w > 0 else {
        throw TensorError.invalidArgument(op: "resize", message: "cannot resize empty images of shape \(shapeString(images.shape))")
    }
    if h == height && w == width { return images }
    let rows = ResizeTaps(input: h, output: height, interpolation: interpolation)
    let cols = ResizeTaps(input: w, output: width, interpolation: interpolation)
    let x = images.detached
    let out = Tensor(uninitializedShape: [n, height, width, c])
    let src = x.storage.pointer, dst = out.storage.pointer
    for b in 0..<n {
        let image = src + b * h * w * c
        for oy in 0..<height {
            let top = image + rows.lower[oy] * w * c, bottom = image + rows.upper[oy] * w * c
            let yl = rows.weight[oy]
            let row = dst + ((b * height + oy) * width) * c
            for ox in 0..<width {
                let l = cols.lower[ox] * c, r = cols.upper[ox] * c, xl = cols.weight[ox]
                for k in 0..<c {
                    // The same operations, in the same order, as TensorFlow's compute_lerp.
                    let upper = top[l + k] + (top[r + k] - top[l + k]) * xl
                    let lower = bottom[l + k] + (bottom[r + k] - bottom[l + k]) * xl
                    row[ox * c + k] = upper + (lower - upper) * yl
                }
            }
        }
    }
    return Tensor.record("resize", out, inputs: [images]) { grad, _ in
        let g = Tensor(repeating: 0, shape: [n, h, w, c])
        let gp = g.storage.pointer, up = grad.storage.pointer
        for b in 0..<n {
            let image = gp + b * h * w * c
            for oy in 0..<height {
                let top = image + rows.lower[oy] * w * c, bottom = image + rows.upper[oy] * w * c
                let yl = rows.weight[oy]
                let row = up + ((b * height + oy) * width) * c
                for ox in 0..<width {
                    let l = cols.lower[ox] * c, r = cols.upper[ox] * c, xl = cols.weight[ox]
                    for k in 0..<c {
                        let v = row[ox * c + k]
                        top[l + k] += v * (1 - yl) * (1 - xl)
                        top[r + k] += v * (1 - yl) * xl
                        bottom[l + k] += v * yl * (1 - xl)
                        bottom[r + k] += v * yl * xl
                    }
                }
            }
        }
        return [g]
    }
}

/// Applies one projective transform per image, as TensorFlow's ImageProjectiveTransformV3
/// (Keras's `ops.image.affine_transform`): transform [a0, a1, a2, b0, b1, b2, c0, c1] maps
/// each output point (x, y) to the input point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),
/// k = c0 x + c1 y + 1, which is read with `interpolation` and `fillMode`. Has a gradient
/// with respect to the images.
public func affineTransform(_ images: Tensor, transforms: [[Float]], interpolation: Interpolation = .bilinear,
                            fillMode: FillMode = .constant, fillValue: Float = 0) throws -> Tensor {
    guard images.rank == 4 else {
        throw TensorError.invalidArgument(op: "affine_transform", message: "expected images of rank 4 (batch, height, width, channels), received shape \(shapeString(images.shape))")
    }
    let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    guard transforms.count == n || transforms.count == 1, transforms.allSatisfy({ $0.count == 8 }) else {
        throw TensorError.invalidArgument(
            op: "affine_transform", message: "expected \(n) transforms of 8 values (or one for all images), received \(transforms.map(\.count))")
    }
    // Per output pixel: the input offsets of its four neighbours (-1 where a neighbour lies
    // outside and reads the fill value; nearest uses the first), and the column and row
    // fractions: value = yw0 (xw0 v00 + xw1 v01) + yw1 (xw0 v10 + xw1 v11), as TensorFlow
    // evaluates it.
    let pixels = n * h * w
    var offsets = [Int](repeating: -1, count: pixels * 4)
    var fractions = [Float](repeating: 0, count: pixels * 4)
    var outside = [Bool](repeating: false, count: pixels)
    for b in 0..<n {
        let t = transforms[transforms.count == 1 ? 0 : b]
        for oy in 0..<h {
            for ox in 0..<w {
                let pixel = (b * h + oy) * w + ox
                let (fx, fy) = (Float(ox), Float(oy))
                let k = t[6] * fx + t[7] * fy + 1
                if k == 0 { outside[pixel] = true; continue }
                let x = mapCoordinate((t[0] * fx + t[1] * fy + t[2]) / k, size: w, mode: fillMode)
                let y = mapCoordinate((t[3] * fx + t[4] * fy + t[5]) / k, size: h, mode: fillMode)
                func offset(_ yy: Float, _ xx: Float) -> Int {
                    guard yy >= 0, yy < Float(h), xx >= 0, xx < Float(w) else { return -1 }
                    return ((b * h + Int(yy)) * w + Int(xx)) * c
                }
                switch interpolation {
                case .nearest:
                    offsets[pixel * 4] = offset(y.rounded(.toNearestOrAwayFromZero), x.rounded(.toNearestOrAwayFromZero))
                case .bilinear:
                    let y0 = y.rounded(.down), x0 = x.rounded(.down)
                    let y1 = y0 + 1, x1 = x0 + 1
                    offsets[pixel * 4] = offset(y0, x0); offsets[pixel * 4 + 1] = offset(y0, x1)
                    offsets[pixel * 4 + 2] = offset(y1, x0); offsets[pixel * 4 + 3] = offset(y1, x1)
                    fractions[pixel * 4] = x1 - x; fractions[pixel * 4 + 1] = x - x0
                    fractions[pixel * 4 + 2] = y1 - y; fractions[pixel * 4 + 3] = y - y0
                }
            }
        }
    }
    let src = images.detached.storage.pointer
    let out = Tensor(uninitializedShape: images.shape)
    let dst = out.storage.pointer
    for pixel in 0..<pixels {
        let o = pixel * 4
        for k in 0..<c {
            func read(_ slot: Int) -> Float { offsets[o + slot] >= 0 ? src[offsets[o + slot] + k] : fillValue }
            let v: Float
            if outside[pixel] {
                v = fillValue
            } else if interpolation == .nearest {
                v = read(0)
            } else {
                let (xw0, xw1, yw0, yw1) = (fractions[o], fractions[o + 1], fractions[o + 2], fractions[o + 3])
                let upper = xw0 * read(0) + xw1 * read(1)
                let lower = xw0 * read(2) + xw1 * read(3)
                v = yw0 * upper + yw1 * lower
            }
            dst[pixel * c + k] = v
        }
    }
    return Tensor.record("affine_transform", out, inputs: [images]) { grad, _ in
        let g = Tensor(repeating: 0, shape: [n, h, w, c])
        let gp = g.storage.pointer, up = grad.storage.pointer
        for pixel in 0..<pixels where !outside[pixel] {
            let o = pixel * 4
            let weights: [Float] = interpolation == .nearest ? [1] : [
                fractions[o + 2] * fractions[o], fractions[o + 2] * fractions[o + 1],
                fractions[o + 3] * fractions[o], fractions[o + 3] * fractions[o + 1],
            ]
            for (slot, weight) in weights.enumerated() where offsets[o + slot] >= 0 {
                for k in 0..<c { gp[offsets[o + slot] + k] += up[pixel * c + k] * weight }
            }
        }
        return [g]
    }
}

/// A source coordinate mapped into [0, size - 1] by the fill mode, as TensorFlow's
/// MapCoordinate (constant leaves it, and out-of-range taps read the fill value).
private func mapCoordinate(_ coordinate: Float, size: Int, mode: FillMode) -> Float {
    let length = Float(size)
    var x = coordinate
    switch mode {
    case .constant:
        return x
    case .nearest:
        return Swift.min(Swift.max(x, 0), length - 1)
    case .reflect:
        if x < 0 {
            if size <= 1 { x = 0 } else {
                let period = 2 * length
                if x < period { x = period * Float(Int(-x / period)) + x }
                x = x < -length ? x + period : -x - 1
            }
        } else if x > length - 1 {
            if size <= 1 { x = 0 } else {
                let period = 2 * length
                x -= period * Float(Int(x / period))
                if x >= length { x = period - x - 1 }
            }
        }
    case .wrap:
        if x < 0 {
            if size <= 1 { x = 0 } else {
                let period = length - 1
                x += length * (Float(Int(-x / period)) + 1)
            }
        } else if x > length - 1 {
            if size <= 1 { x = 0 } else {
                let period = length - 1
                x -= length * Float(Int(x / period))
            }
        }
    }
    return Swift.min(Swift.max(x, 0), length - 1)
}
