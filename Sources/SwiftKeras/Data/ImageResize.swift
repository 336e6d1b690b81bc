/// Keras's `ops.image.resize` on the TensorFlow backend, for (height, width, channels) or
/// (batch, height, width, channels) images: optionally cropped (`cropToAspectRatio`) or padded
/// with `fillValue` (`padToAspectRatio`) to the target's aspect ratio, centred, then resized.
/// Differentiable with respect to the images.
func resizeImage(_ images: Tensor, to size: (Int, Int), interpolation: Interpolation = .bilinear,
                 cropToAspectRatio: Bool = false, padToAspectRatio: Bool = false, fillValue: Float = 0,
                 path: String? = nil) throws -> Tensor {
    let (targetHeight, targetWidth) = size
    guard targetHeight > 0, targetWidth > 0 else {
        throw KerasError.invalidArgument("resize: the target size must be positive, received (\(targetHeight), \(targetWidth))")
    }
    guard !(cropToAspectRatio && padToAspectRatio) else {
        throw KerasError.invalidArgument("resize: only one of cropToAspectRatio and padToAspectRatio can be true")
    }
    guard images.rank == 3 || images.rank == 4 else {
        throw KerasError.invalidArgument(
            "resize\(path.map { " (\($0))" } ?? ""): expected an image (height, width, channels) or a batch (batch, height, width, channels), received shape \(shapeString(images.shape))")
    }
    var batch = images.rank == 3 ? try images.reshaped([1] + images.shape) : images
    let (height, width) = (batch.shape[1], batch.shape[2])
    if cropToAspectRatio {
        let cropHeight = Swift.max(Swift.min(height, Int(Float(width * targetHeight) / Float(targetWidth))), 1)
        let cropWidth = Swift.max(Swift.min(width, Int(Float(height * targetWidth) / Float(targetHeight))), 1)
        batch = try cropImages(batch, top: Int(Float(height - cropHeight) / 2), left: Int(Float(width - cropWidth) / 2),
                               height: cropHeight, width: cropWidth)
    } else if padToAspectRatio {
        let padHeight = Swift.max(height, Int(Float(width * targetHeight) / Float(targetWidth)))
        let padWidth = Swift.max(width, Int(Float(height * targetWidth) / Float(targetHeight)))
        // As Keras does: the same number of rows (columns) on both sides.
        batch = try padImages(batch, rows: Int(Float(padHeight - height) / 2), columns: Int(Float(padWidth - width) / 2), value: fillValue)
    }
    let resized = try resizeImages(batch, height: targetHeight, width: targetWidth, interpolation: interpolation)
    return images.rank == 3 ? try resized.reshaped(Array(resized.shape.dropFirst())) : resized
}

/// A window of every image in a batch.
private func cropImages(_ images: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
    let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    if top == 0 && left == 0 && height == h && width == w { return images }
    let out = Tensor(uninitializedShape: [n, height, width, c])
    let src = images.storage.pointer, dst = out.storage.pointer
    for b in 0..<n {
        for y in 0..<height {
            (dst + ((b * height + y) * width) * c).update(from: src + ((b * h + top + y) * w + left) * c, count: width * c)
        }
    }
    return Tensor.record("crop", out, inputs: [images]) { grad, _ in
        let g = Tensor(repeating: 0, shape: [n, h, w, c])
        for b in 0..<n {
            for y in 0..<height {
                (g.storage.pointer + ((b * h + top + y) * w + left) * c)
                    .update(from: grad.storage.pointer + ((b * height + y) * width) * c, count: width * c)
            }
        }
        return [g]
    }
}

/// Every image in a batch with `rows` rows above and below and `columns` columns on each side.
private func padImages(_ images: Tensor, rows: Int, columns: Int, value: Float) throws -> Tensor {
    if rows == 0 && columns == 0 { return images }
    let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let (height, width) = (h + 2 * rows, w + 2 * columns)
    let out = Tensor(repeating: value, shape: [n, height, width, c])
    let src = images.storage.pointer, dst = out.storage.pointer
    for b in 0..<n {
        for y in 0..<h {
            (dst + ((b * height + rows + y) * width + columns) * c).update(from: src + ((b * h + y) * w) * c, count: w * c)
        }
    }
    return Tensor.record("pad", out, inputs: [images]) { grad, _ in
        let g = Tensor(uninitializedShape: [n, h, w, c])
        for b in 0..<n {
            for y in 0..<h {
                (g.storage.pointer + ((b * h + y) * w) * c)
                    .update(from: grad.storage.pointer + ((b * height + rows + y) * width + columns) * c, count: w * c)
            }
        }
        return [g]
    }
}
