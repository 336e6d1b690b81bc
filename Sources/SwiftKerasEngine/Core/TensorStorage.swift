import Glibc

/// A 64-byte aligned, fixed-size buffer of `Float`s shared by tensors until one of them writes.
///
/// Alignment matters: AVX-512 loops over aligned memory ran ~1.5x faster here than over
/// `[Float]` storage, which is not reliably aligned for large arrays.
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    private let byteCount: Int

    /// Uninitialized storage; callers write every element before reading.
    public init(uninitializedCount count: Int) {
        self.count = count
        // Exactly the bytes asked for (64-byte aligned): AddressSanitizer then catches an access
        // one element past the end, which padding to a multiple of 64 would hide.
        byteCount = max(count, 1) * MemoryLayout<Float>.stride
        let raw = BufferPool.take(byteCount) ?? BufferPool.allocate(byteCount)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    public func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    /// Whether `count` Floats can be allocated now (the memory is asked for and given back
    /// at once): for sizes from a user's arguments, which would otherwise end the process in
    /// `allocate`. Large blocks are mapped lazily, so the check touches no pages.
    public static func canAllocate(count: Int) -> Bool {
        guard count >= 0, count <= Tensor.maximumElementCount else { return false }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, Swift.max(count, 1) * MemoryLayout<Float>.stride) == 0, let raw else { return false }
        free(raw)
        return true
    }

    /// Uninitialized storage for `shape`, whose size an op derived from its arguments (a padded
    /// frame): throws, naming `op`, when the count passes a tensor's or the memory cannot be had.
    convenience init(checkedShape shape: [Int], op: String) throws {
        let count = try Tensor.elementCount(of: shape, op: op)
        guard TensorStorage.canAllocate(count: count) else {
            throw TensorError.invalidArgument(
                op: op, message: "out of memory: \(count * MemoryLayout<Float>.stride) bytes for a buffer of shape \(shapeString(shape)) could not be allocated")
        }
        self.init(uninitializedCount: count)
    }

    deinit { BufferPool.give(UnsafeMutableRawPointer(pointer), byteCount) }
}

/// Keeps freed large buffers for reuse. A training step allocates the same sizes every
/// batch; without reuse each large buffer comes back from the kernel as fresh pages, and
/// the page faults cost more than the arithmetic (measured: 5 ms of a 60 ms LeNet step).
enum BufferPool {
    /// Smaller buffers are left to malloc, which recycles them well.
    static let minimumBytes = 1 << 16
    /// The most memory the pool holds on to.
    static let capacityBytes = 1 << 28

    private struct State {
        var free: [Int: [UInt]] = [:]
        var heldBytes = 0
    }

    private static let state = Lock(State())

    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes) == 0, let raw { return raw }
        // The buffers the pool keeps may be what the system is short of: give them back, retry.
        releaseHeld()
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            // Sizes from a user's arguments were checked up front (`canAllocate`), so this is the
            // system running out between that check and now, e.g. to another process.
            fatalError("SwiftKeras: out of memory allocating \(bytes) bytes")
        }
        return raw
    }

    /// Frees every buffer the pool holds.
    static func releaseHeld() {
        let held: [UInt] = state.withLock { s in
            defer { s.free = [:]; s.heldBytes = 0 }
            return s.free.values.flatMap { $0 }
        }
        for address in held { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    static func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= minimumBytes else { return nil }
        let address: UInt? = state.withLock { s in
            guard let address = s.free[bytes]?.popLast() else { return nil }
            s.heldBytes -= bytes
            return address
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    static func give(_ pointer: UnsafeMutableRawPointer, _ bytes: Int) {
        let kept = bytes >= minimumBytes && state.withLock { s in
            guard s.heldBytes + bytes <= capacityBytes else { return false }
            s.free[bytes, default: []].append(UInt(bitPattern: pointer))
            s.heldBytes += bytes
            return true
        }
        if !kept { free(pointer) }
    }
}
