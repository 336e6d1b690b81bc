@_exported import SwiftKerasEngine

/// Errors a user can cause with wrong shapes, labels, arguments or files. Each message
/// names the layer, argument or file, what was expected and what was received.
public enum KerasError: Error, CustomStringConvertible, Equatable {
    /// An input does not fit a layer: `layer` is the layer's name.
    case incompatibleInput(layer: String, message: String)
    /// A bad argument to a constructor or to compile/fit/evaluate/predict.
    case invalidArgument(String)
    /// Data that cannot be trained on (mismatched lengths, labels out of range, NaN).
    case invalidData(String)
    /// A missing, truncated or malformed file.
    case fileError(path: String, message: String)
    /// The model was used before it could be (not compiled, not built).
    case notReady(String)
    /// Memory for a tensor could not be allocated (Keras's ResourceExhaustedError): `what`
    /// names the layer and weight, or the call, and `bytes` the size asked for.
    case resourceExhausted(what: String, bytes: Int)

    public var description: String {
        switch self {
        case let .incompatibleInput(layer, message):
            return "Input of layer \"\(layer)\" is incompatible with the layer: \(message)"
        case let .invalidArgument(message): return message
        case let .invalidData(message): return message
        case let .fileError(path, message): return "\(path): \(message)"
        case let .notReady(message): return message
        case let .resourceExhausted(what, bytes):
            return "Resource exhausted: OOM when allocating a tensor for \(what): \(bytes) bytes could not be allocated"
        }
    }
}
