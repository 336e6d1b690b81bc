/// Errors from tensor operations: every case says which op and what was wrong.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(op: String, message: String)
    case invalidArgument(op: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, message): return "\(op): shape mismatch: \(message)"
        case let .invalidArgument(op, message): return "\(op): invalid argument: \(message)"
        }
    }
}
