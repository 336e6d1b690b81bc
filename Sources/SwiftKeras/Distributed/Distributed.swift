import CMPI
import Glibc
import Synchronization

/// The processes of a job started by `mpirun` (Horovod's `hvd.init()`, `hvd.rank()`, ...),
/// over Open MPI loaded at run time: SwiftKeras builds and runs without MPI, and only a
/// program that calls `initialize()` (or fits with `distribution: .dataParallel`) needs it.
///
/// ```swift
/// try Distributed.initialize()
/// model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy],
///               distribution: .dataParallel)
/// try model.fit(x, y, batchSize: 128, epochs: 1)   // mpirun -np 2 ./train
/// ```
///
/// Every collective waits at most `timeout` seconds: a process that stops answering ends the
/// job (MPI_Abort, with a message naming the operation) instead of leaving the others waiting.
public enum Distributed {
    /// This process's index in the job, 0 when not initialized.
    public static var rank: Int { state.withLock { $0.rank } }
    /// Processes in the job, 1 when not initialized.
    public static var size: Int { state.withLock { $0.size } }
    /// This process's index among the job's processes on this host.
    public static var localRank: Int { state.withLock { $0.localRank } }
    /// Whether `initialize()` has run.
    public static var isInitialized: Bool { state.withLock { $0.initialized } }

    /// Seconds a collective may wait for the other processes before the job is aborted
    /// (default 300, or `SWIFTKERAS_MPI_TIMEOUT`). Rank 0 alone writing a checkpoint
    /// makes the others wait that long at most.
    public static var timeout: Double {
        get { state.withLock { $0.timeout } }
        set { state.withLock { $0.timeout = newValue } }
    }

    /// The shared library loaded by `initialize()`: `SWIFTKERAS_MPI_LIBRARY`, else Open MPI's
    /// `libmpi.so.40` (Debian's libopenmpi-dev and openmpi-bin).
    public static var libraryName: String {
        environmentValue("SWIFTKERAS_MPI_LIBRARY") ?? "libmpi.so.40"
    }

    /// Whether this process was started by `mpirun` (Open MPI's or a PMI launcher's
    /// variables are set).
    public static var launchedByMPI: Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { environmentValue($0) != nil }
    }

    /// Whether the MPI library can be loaded on this machine.
    public static var isAvailable: Bool {
        var error = [CChar](repeating: 0, count: 512)
        return cmpi_load(libraryName, &error, error.count) == 0
    }

    /// Loads Open MPI and joins the job (MPI_Init_thread, serialized threads: only one thread
    /// at a time calls MPI, whichever it is). Calling it again does nothing. Without
    /// `mpirun`, the process is a job of one.
    public static func initialize() throws {
        if isInitialized { return }
        var error = [CChar](repeating: 0, count: 512)
        guard cmpi_load(libraryName, &error, error.count) == 0 else {
            throw DistributedError.unavailable(
                "Distributed.initialize: cannot load the MPI library \(libraryName): \(text(error)). Install Open MPI (Debian: apt install libopenmpi-dev openmpi-bin; Scripts/install-mpi.sh) or set SWIFTKERAS_MPI_LIBRARY")
        }
        var already: Int32 = 0
        try check(cmpi_initialized(&already), "MPI_Initialized")
        var provided: Int32 = 0
        if already == 0 { try check(cmpi_init(&provided), "MPI_Init_thread") }
        var rank: Int32 = 0, size: Int32 = 1, local: Int32 = 0
        try check(cmpi_rank(&rank), "MPI_Comm_rank")
        try check(cmpi_size(&size), "MPI_Comm_size")
        try check(cmpi_local_rank(&local), "MPI_Comm_split_type")
        let timeout = environmentValue("SWIFTKERAS_MPI_TIMEOUT").flatMap(Double.init)
        state.withLock {
            $0.initialized = true
            $0.rank = Int(rank)
            $0.size = Int(size)
            $0.localRank = Int(local)
            if let timeout, timeout > 0 { $0.timeout = timeout }
        }
    }

    /// Joins the job if not yet joined; whether it has more than one process.
    static func joined() throws -> Bool {
        try initialize()
        return size > 1
    }

    /// Waits until every process reaches this point.
    public static func barrier() throws {
        try requireInitialized("barrier")
        try timed(bytes: 0) { try check(cmpi_barrier(timeout), "MPI_Barrier") }
    }

    /// Ends every process of the job: prints `message` (with this rank) to standard error, then
    /// MPI_Abort. The way out when one process cannot go on and the others would wait for it.
    public static func abort(_ message: String, code: Int32 = 1) -> Never {
        var text = "[rank \(rank) of \(size)] \(message); ending the job (MPI_Abort)\n"
        text.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if isInitialized { cmpi_abort(code) }
        exit(code)
    }

    /// What the collectives moved since the last `resetCommunication()`: calls, bytes
    /// contributed by this process and seconds spent waiting in them.
    public static var communication: CommunicationStatistics { state.withLock { $0.statistics } }

    /// The part of `communication` that summed gradients (one bucketed allreduce per step).
    public static var gradientCommunication: CommunicationStatistics { state.withLock { $0.gradientStatistics } }

    public static func resetCommunication() {
        state.withLock {
            $0.statistics = CommunicationStatistics()
            $0.gradientStatistics = CommunicationStatistics()
        }
    }

    // MARK: Collectives (SwiftKeras's own uses)

    /// Sums `buffers` (each `counts[i]` values) over every process, in place; counted in
    /// `gradientCommunication` too.
    static func allreduceSum(_ buffers: [UnsafeMutablePointer<Float>], counts: [Int], what: String) throws {
        let raw = buffers.map { Optional(UnsafeMutableRawPointer($0)) }
        let total = counts.reduce(0, +)
        try timed(bytes: total * 4, gradients: true) {
            try check(cmpi_allreduce(raw, counts.map(Int64.init), Int32(buffers.count), CMPI_FLOAT, CMPI_SUM, timeout),
                      "MPI_Allreduce (\(what), \(total) floats)")
        }
    }

    /// Sums doubles over every process.
    static func allreduceSum(_ values: [Double], what: String) throws -> [Double] {
        var values = values
        let count = values.count
        try values.withUnsafeMutableBytes { bytes in
            try timed(bytes: count * 8) {
                try check(cmpi_allreduce([bytes.baseAddress], [Int64(count)], 1, CMPI_DOUBLE, CMPI_SUM, timeout),
                          "MPI_Allreduce (\(what))")
            }
        }
        return values
    }

    /// Rank 0's `count` floats at `buffer` on every process.
    static func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, what: String) throws {
        try timed(bytes: count * 4) {
            try check(cmpi_bcast(buffer, Int64(count), CMPI_FLOAT, 0, timeout), "MPI_Bcast (\(what))")
        }
    }

    /// Rank 0's words on every process.
    static func broadcast(_ words: [UInt64], what: String) throws -> [UInt64] {
        var words = words
        let count = words.count
        try words.withUnsafeMutableBytes { bytes in
            try timed(bytes: count * 8) {
                try check(cmpi_bcast(bytes.baseAddress, Int64(count), CMPI_UINT64, 0, timeout), "MPI_Bcast (\(what))")
            }
        }
        return words
    }

    /// Every process's floats, concatenated in rank order.
    static func allgather(_ values: UnsafePointer<Float>, count: Int, what: String) throws -> [Float] {
        var counts = [Int32](repeating: 0, count: size)
        var mine = [Int32(count)]
        try mine.withUnsafeMutableBytes { send in
            try counts.withUnsafeMutableBytes { received in
                let ones = [Int32](repeating: 1, count: size), offsets = (0..<size).map(Int32.init)
                try check(cmpi_allgatherv(send.baseAddress, 1, received.baseAddress, ones, offsets, CMPI_INT32, timeout),
                          "MPI_Allgatherv (\(what) counts)")
            }
        }
        var offsets = [Int32](repeating: 0, count: size)
        for r in 1..<Swift.max(size, 1) { offsets[r] = offsets[r - 1] + counts[r - 1] }
        var result = [Float](repeating: 0, count: Int(counts.reduce(0, +)))
        try result.withUnsafeMutableBytes { received in
            try timed(bytes: count * 4) {
                try check(cmpi_allgatherv(values, Int32(count), received.baseAddress, counts, offsets, CMPI_FLOAT, timeout),
                          "MPI_Allgatherv (\(what))")
            }
        }
        return result
    }

    /// The text of a NUL-terminated C buffer.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Throws unless `initialize()` has run.
    static func requireInitialized(_ caller: String) throws {
        guard isInitialized else {
            throw DistributedError.unavailable("Distributed.\(caller): call Distributed.initialize() first")
        }
    }

    // MARK: State

    private struct State {
        var initialized = false
        var rank = 0, size = 1, localRank = 0
        var timeout = 300.0
        var statistics = CommunicationStatistics()
        var gradientStatistics = CommunicationStatistics()
    }

    private static let state = Mutex(State())

    private static func timed(bytes: Int, gradients: Bool = false, _ body: () throws -> Void) throws {
        let started = ContinuousClock.now
        try body()
        let seconds = (ContinuousClock.now - started).seconds
        state.withLock {
            $0.statistics.add(bytes: bytes, seconds: seconds)
            if gradients { $0.gradientStatistics.add(bytes: bytes, seconds: seconds) }
        }
    }

    /// A failed call throws; one that timed out aborts the job, since the others cannot be
    /// told (they are waiting in the same collective, or gone).
    private static func check(_ code: Int32, _ operation: String) throws {
        guard code != 0 else { return }
        if code == CMPI_TIMED_OUT {
            abort("\(operation) did not complete within \(timeout) s: another process stopped or failed (see its output)")
        }
        var text = [CChar](repeating: 0, count: 512)
        cmpi_error_string(code, &text, text.count)
        throw DistributedError.communication("[rank \(rank) of \(size)] \(operation) failed: \(Distributed.text(text))")
    }
}

/// Calls, bytes (this process's contribution) and waiting seconds of the collectives.
public struct CommunicationStatistics: Sendable, Equatable {
    public var calls = 0
    public var bytes = 0
    public var seconds = 0.0

    mutating func add(bytes: Int, seconds: Double) {
        calls += 1
        self.bytes += bytes
        self.seconds += seconds
    }
}

/// Errors of a distributed job.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// MPI cannot be loaded or was not initialized.
    case unavailable(String)
    /// An MPI call failed.
    case communication(String)
    /// Another process failed during a training step; every process stops that step.
    case processFailed(rank: Int, message: String)

    public var description: String {
        switch self {
        case let .unavailable(message), let .communication(message): return message
        case let .processFailed(rank, message): return message.isEmpty ? "process \(rank) failed" : message
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// An environment variable's value, nil when unset.
func environmentValue(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
