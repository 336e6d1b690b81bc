/// Copies the input patches of images [first, first+count) into rows of `cols`:
/// row (n, oh, ow), columns (kh, kw, c) to match the Keras kernel layout (kh, kw, in, out).
func im2col(_ g: WindowGeometry, input: UnsafePointer<Float>, firstImage: Int, imageCount: Int,
            cols: UnsafeMutablePointer<Float>) {
    let c = g.channels, patch = g.patchSize
    let imageSize = g.inHeight * g.inWidth * c
    var row = cols
    for n in firstImage..<(firstImage + imageCount) {
        let image = input + n * imageSize
        for oh in 0..<g.outHeight {
            let top = oh * g.strideHeight - g.padTop
            for ow in 0..<g.outWidth {
                let left = ow * g.strideWidth - g.padLeft
                var dst = row
                for kh in 0..<g.windowHeight {
                    let ih = top + kh
                    if ih < 0 || ih >= g.inHeight {
                        dst.update(repeating: 0, count: g.windowWidth * c)
                        dst += g.windowWidth * c
                        continue
                    }
                    let imageRow = image + ih * g.inWidth * c
                    for kw in 0..<g.windowWidth {
                        let iw = left + kw
                        if iw < 0 || iw >= g.inWidth {
                            dst.update(repeating: 0, count: c)
                        } else {
                            dst.update(from: imageRow + iw * c, count: c)
                        }
                        dst += c
                    }
                }
                row += patch
            }
        }
    }
}

/// Adds patch-gradient rows back into the input gradient (the adjoint of `im2col`).
func col2im(_ g: WindowGeometry, cols: UnsafePointer<Float>, firstImage: Int, imageCount: Int,
            inputGrad: UnsafeMutablePointer<Float>) {
    let c = g.channels, patch = g.patchSize
    let imageSize = g.inHeight * g.inWidth * c
    var row = cols
    for n in firstImage..<(firstImage + imageCount) {
        let image = inputGrad + n * imageSize
        for oh in 0..<g.outHeight {
            let top = oh * g.strideHeight - g.padTop
            for ow in 0..<g.outWidth {
                let left = ow * g.strideWidth - g.padLeft
                var src = row
                for kh in 0..<g.windowHeight {
                    let ih = top + kh
                    if ih < 0 || ih >= g.inHeight { src += g.windowWidth * c; continue }
                    let imageRow = image + ih * g.inWidth * c
                    for kw in 0..<g.windowWidth {
                        let iw = left + kw
                        if iw >= 0 && iw < g.inWidth {
                            let dst = imageRow + iw * c
                            for ch in 0..<c { dst[ch] += src[ch] }
                        }
                        src += c
                    }
                }
                row += patch
            }
        }
    }
}
