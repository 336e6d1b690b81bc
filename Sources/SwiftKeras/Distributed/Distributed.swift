import CMPI
import Glibc

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
    public static var communication: CommunicationStatistics { traffic.withLock { $0.all } }

    public static func resetCommunication() {
        traffic.withLock { $0.all = CommunicationStatistics() }
    }

    /// The allreduces of data-parallel training steps since the last `resetStatistics()`, as
    /// this process saw them: steps, bytes (gradients, moving statistics, metric sums, step
    /// status) and the seconds spent in those calls. Always on (two clock reads per call).
    ///
    /// ```swift
    /// Distributed.resetStatistics()
    /// try model.fit(x, y, batchSize: 128, epochs: 1)
    /// let s = Distributed.statistics
    /// print(s.bytesPerStep, s.secondsPerStep)
    /// ```
    public static var statistics: AllreduceStatistics { traffic.withLock { $0.steps } }

    /// Starts `statistics` again from zero (every process keeps its own).
    public static func resetStatistics() {
        traffic.withLock { $0.steps = AllreduceStatistics() }
    }

    // MARK: Collectives (SwiftKeras's own uses)

    /// Sums `buffers` (each `counts[i]` values) over every process, in place. `step`: the part
    /// of a training step it carries, counted in `statistics` too.
    static func allreduceSum(_ buffers: [UnsafeMutablePointer<Float>], counts: [Int], what: String,
                             step: StepTraffic? = nil) throws {
        let raw = buffers.map { Optional(UnsafeMutableRawPointer($0)) }
        let total = counts.reduce(0, +)
        try timed(bytes: total * 4, step: step) {
            try check(cmpi_allreduce(raw, counts.map(Int64.init), Int32(buffers.count), CMPI_FLOAT, CMPI_SUM, timeout),
                      "MPI_Allreduce (\(what), \(total) floats)")
        }
    }

    /// Sums doubles over every process. `step`: the part of a training step it carries,
    /// counted in `statistics` too.
    static func allreduceSum(_ values: [Double], what: String, step: StepTraffic? = nil) throws -> [Double] {
        var values = values
        let count = values.count
        try values.withUnsafeMutableBytes { bytes in
            try timed(bytes: count * 8, step: step) {
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
    }

    /// What the collectives moved (all zeros to begin with).
    private struct Traffic {
        var all = CommunicationStatistics()
        var steps = AllreduceStatistics()
    }

    // Two locks, not one: with the counters inside `State`, Swift 6.3.1's optimizer
    // (-c release) started `state` all zeros (size 0, timeout 0 s: every collective then
    // timed out at once). Keep `State` to plain values.
    private static let state = Lock(State())
    private static let traffic = Lock(Traffic())

    private static func timed(bytes: Int, step: StepTraffic? = nil, _ body: () throws -> Void) throws {
        let started = ContinuousClock.now
        try body()
        let seconds = (ContinuousClock.now - started).seconds
        traffic.withLock {
            $0.all.add(bytes: bytes, seconds: seconds)
            if let step { $0.steps.add(step, bytes: bytes, seconds: seconds) }
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

/// The allreduces of data-parallel training steps (`Distributed.statistics`), as one process
/// saw them. A step is one global batch of fit (or one `trainOnBatch`) of a model compiled with
/// `distribution: .dataParallel` in a job of more than one process; it makes three
/// allreduces: the step status (this step's rows and failure flags, `size + 1` doubles), the
/// gradients with the moving statistics (float buckets), and the metrics' sums (doubles) for
/// the logs. Every process contributes, and receives, as many bytes as the others. Validation,
/// evaluate, predict and the start-of-fit broadcast are not steps (they are in
/// `Distributed.communication`).
public struct AllreduceStatistics: Sendable, Equatable {
    /// Training steps.
    public internal(set) var steps = 0
    /// Allreduces waited for in those steps: three per step (the status; the gradient buckets,
    /// started together as one nonblocking MPI_Iallreduce each and waited for together; the
    /// metrics).
    public internal(set) var allreduceCalls = 0
    /// Bytes this process contributed to them: the four kinds below together.
    public var allreduceBytes: Int { gradientBytes + movingStatisticsBytes + metricBytes + statusBytes }
    /// Wall-clock seconds inside those calls, waiting included: the first call of a step (the
    /// status) also waits for the slowest process to finish its forward and backward pass.
    public internal(set) var allreduceSeconds = 0.0
    /// The gradients: 4 bytes per trainable parameter per step.
    public internal(set) var gradientBytes = 0
    /// Values the forward pass updated (BatchNormalization's moving mean and variance):
    /// 4 bytes each per step.
    public internal(set) var movingStatisticsBytes = 0
    /// The losses' and metrics' sums: 8 bytes per double of their state per step (loss total
    /// and count, then each metric's, e.g. accuracy's two).
    public internal(set) var metricBytes = 0
    /// The step status: 8 × (processes + 1) bytes per step.
    public internal(set) var statusBytes = 0
    /// Seconds inside the gradient (and moving statistics) allreduces alone.
    public internal(set) var gradientSeconds = 0.0

    public init() {}

    /// `allreduceBytes / steps` (0 before the first step).
    public var bytesPerStep: Double { steps == 0 ? 0 : Double(allreduceBytes) / Double(steps) }
    /// `allreduceSeconds / steps` (0 before the first step).
    public var secondsPerStep: Double { steps == 0 ? 0 : allreduceSeconds / Double(steps) }

    /// The two added field by field (several epochs' statistics, say).
    public static func + (a: AllreduceStatistics, b: AllreduceStatistics) -> AllreduceStatistics {
        var sum = a
        sum.steps += b.steps
        sum.allreduceCalls += b.allreduceCalls
        sum.allreduceSeconds += b.allreduceSeconds
        sum.gradientBytes += b.gradientBytes
        sum.movingStatisticsBytes += b.movingStatisticsBytes
        sum.metricBytes += b.metricBytes
        sum.statusBytes += b.statusBytes
        sum.gradientSeconds += b.gradientSeconds
        return sum
    }

    mutating func add(_ traffic: StepTraffic, bytes: Int, seconds: Double) {
        allreduceCalls += 1
        allreduceSeconds += seconds
        switch traffic {
        case .status: statusBytes += bytes
        case let .gradients(movingStatistics):
            steps += 1
            movingStatisticsBytes += 4 * movingStatistics
            gradientBytes += bytes - 4 * movingStatistics
            gradientSeconds += seconds
        case .metrics: metricBytes += bytes
        }
    }
}

/// The part of a training step an allreduce carries (`AllreduceStatistics`).
enum StepTraffic {
    case status
    /// The gradient buckets, of which `movingStatistics` float values are moving statistics;
    /// one call for all of a step's buckets, so it counts the step.
    case gradients(movingStatistics: Int)
    case metrics
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
