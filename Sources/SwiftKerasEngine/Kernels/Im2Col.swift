/// Copies the input patches of images [first, first+count) into rows of `cols`:
/// row (n, oh, ow), columns (kh, kw, c) to match the Keras kernel layout (kh, kw, in, out).
///
/// For one (oh, ow, kh) the kw·c values are one contiguous span of an NHWC input row, so
/// each span is copied in one loop, with zeros only where it overhangs the padding.
func im2col(_ g: WindowGeometry, input: UnsafePointer<Float>, firstImage: Int, imageCount: Int,
            cols: UnsafeMutablePointer<Float>) {
    forEachPatchSpan(g, firstImage: firstImage, imageCount: imageCount) { colOffset, inputOffset, valid, before, after in
        let dst = cols + colOffset
        for i in 0..<before { dst[i] = 0 }
        if valid > 0 {
            let src = input + inputOffset, body = dst + before
            for i in 0..<valid { body[i] = src[i] }
        }
        let tail = dst + before + valid
        for i in 0..<after { tail[i] = 0 }
    }
}

/// Adds patch-gradient rows back into the input gradient (the adjoint of `im2col`).
func col2im(_ g: WindowGeometry, cols: UnsafePointer<Float>, firstImage: Int, imageCount: Int,
            inputGrad: UnsafeMutablePointer<Float>) {
    forEachPatchSpan(g, firstImage: firstImage, imageCount: imageCount) { colOffset, inputOffset, valid, before, _ in
        guard valid > 0 else { return }
        let src = cols + colOffset + before, dst = inputGrad + inputOffset
        for i in 0..<valid { dst[i] += src[i] }
    }
}

/// Visits each span of a patch matrix: where it starts in `cols`, where its in-bounds part
/// starts in the input, how many floats are in bounds, and how many padding floats come
/// before and after. Without width dilation a span is one (image, oh, ow, kh): kw·c values
/// of one input row; with it, one tap's c values. Rows outside the input are all padding.
@inline(__always)
private func forEachPatchSpan(
    _ g: WindowGeometry, firstImage: Int, imageCount: Int,
    _ body: (_ colOffset: Int, _ inputOffset: Int, _ valid: Int, _ before: Int, _ after: Int) -> Void
) {
    let c = g.channels, span = g.windowWidth * c
    let imageSize = g.inHeight * g.inWidth * c, rowSize = g.inWidth * c
    var colOffset = 0
    for n in firstImage..<(firstImage + imageCount) {
        let image = n * imageSize
        for oh in 0..<g.outHeight {
            let top = oh * g.strideHeight - g.padTop
            for ow in 0..<g.outWidth {
                let left = ow * g.strideWidth - g.padLeft
                let firstColumn = max(left, 0), endColumn = min(left + g.windowWidth, g.inWidth)
                let before = (firstColumn - left) * c
                let valid = max(endColumn - firstColumn, 0) * c
                for kh in 0..<g.windowHeight {
                    let ih = top + kh * g.dilationHeight
                    if ih < 0 || ih >= g.inHeight {
                        body(colOffset, 0, 0, span, 0)
                    } else if g.dilationWidth == 1 {
                        body(colOffset, image + ih * rowSize + firstColumn * c, valid, min(before, span), span - min(before, span) - valid)
                    } else {
                        for kw in 0..<g.windowWidth {
                            let iw = left + kw * g.dilationWidth
                            if iw < 0 || iw >= g.inWidth {
                                body(colOffset + kw * c, 0, 0, c, 0)
                            } else {
                                body(colOffset + kw * c, image + ih * rowSize + iw * c, c, 0, 0)
                            }
                        }
                    }
                    colOffset += span
                }
            }
        }
    }
}
