/// How often ModelCheckpoint and BackupAndRestore write (Keras's `save_freq`): after every
/// epoch (`"epoch"`, the default), or every N training batches (an integer), counted across
/// epochs.
public enum SaveFrequency: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, CustomStringConvertible {
    case epoch
    case batches(Int)
    /// A string other than "epoch": rejected when fit starts, as Keras rejects it when the
    /// callback is made.
    case unrecognized(String)

    public init(stringLiteral value: String) { self = value == "epoch" ? .epoch : .unrecognized(value) }
    public init(integerLiteral value: Int) { self = .batches(value) }

    public var description: String {
        switch self {
        case .epoch: return "epoch"
        case let .batches(n): return String(n)
        case let .unrecognized(text): return text
        }
    }

    /// Throws unless this is "epoch" or a positive number of batches.
    func check(_ owner: String) throws {
        switch self {
        case .epoch: return
        case let .batches(n) where n > 0: return
        default:
            throw KerasError.invalidArgument(
                "\(owner): unrecognized save_freq: \(self). Expected save_freq are 'epoch' or a positive number of batches")
        }
    }
}

/// Counts training batches for a `.batches(N)` frequency (Keras's `_should_save_on_batch`).
struct BatchSaveCounter {
    private var sinceLastSave = 0

    mutating func reset() { sinceLastSave = 0 }

    /// Counts one batch; true when N have passed since the last save.
    mutating func countBatch(_ frequency: SaveFrequency) -> Bool {
        guard case let .batches(n) = frequency else { return false }
        sinceLastSave += 1
        guard sinceLastSave >= n else { return false }
        sinceLastSave = 0
        return true
    }
}
