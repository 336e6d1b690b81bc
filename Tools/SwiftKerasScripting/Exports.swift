// The library `swiftkeras run` links every script against: one shared object holding
// SwiftKeras (with its engine and kernels) and ArgumentParser, built once per library
// version. Scripts import the modules themselves (`import SwiftKeras`); this target only
// gathers them into the product.
@_exported import ArgumentParser
@_exported import SwiftKeras
