import CKernels
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads behind `parallelFor`: the calling thread plus `threadCount - 1` long-lived
/// workers, shared by every op of every model in the process.
///
/// A loop is posted as a job of numbered chunks. The caller and every idle worker claim
/// chunks one at a time until none is left, so a slow or preempted thread holds up at most
/// the chunk it is running; the caller then waits for the chunks other threads took.
/// Several callers (two models trained on two threads, a predict on a third) post into
/// separate job slots and the workers serve them all; a loop started from inside a chunk
/// runs on its own thread. Which thread runs a chunk never changes what it computes.
///
/// Waking a sleeping thread costs tens of microseconds on these virtual machines, more than
/// many of the loops in a training step, so a worker spins for a while after its last chunk
/// before it sleeps: a training step, which posts a job every few hundred microseconds,
/// never pays for a wake-up. When there are more threads than CPUs, spinning would take
/// time from the threads that have work, so workers then yield as they poll.
final class ThreadPool: @unchecked Sendable {
    static let shared = ThreadPool()

    /// At most this many threads (`setNumThreads` refuses more).
    static let maximumThreads = 1024
    /// Jobs in flight at once; a caller that finds every slot taken runs its loop alone.
    private static let slotCount = 8
    /// How long a worker polls for new work after its last chunk before it sleeps.
    private static let spinDuration = Duration.microseconds(300)

    /// The CPUs this process may use (affinity mask and cgroup quota).
    let availableCPUs: Int
    private let requested: Atomic<Int>
    private let slots: [JobSlot]
    /// Bumped by every job posted; a worker about to sleep checks it did not move.
    private let ticket = Atomic<Int>(0)
    /// The workers started so far (they never stop), in `workers[0..<started]`.
    private let workers: UnsafeMutablePointer<Worker?>
    private let started = Atomic<Int>(0)
    private let starting = Lock(())

    private init() {
        availableCPUs = availableCPUCount()
        requested = Atomic(SwiftKerasEngine.threadCount(default: availableCPUs))
        slots = (0..<Self.slotCount).map { _ in JobSlot() }
        workers = .allocate(capacity: Self.maximumThreads)
        workers.initialize(repeating: nil, count: Self.maximumThreads)
        configureOpenBLAS()
    }

    /// The calling thread and the workers a loop may use.
    var threadCount: Int { requested.load(ordering: .relaxed) }

    func setThreadCount(_ count: Int) {
        requested.store(count, ordering: .relaxed)
        // Every worker looks again (through the ticket, as for a new job): those now beyond
        // the count go back to sleep until it grows.
        ticket.add(1, ordering: .sequentiallyConsistent)
        for index in 0..<started.load(ordering: .acquiring) { _ = workers[index]!.wakeIfSleeping() }
    }

    /// Runs `body(chunk)` for every chunk in 0..<count and returns when all have run.
    func run(chunks count: Int, _ body: (Int) -> Void) {
        let helpers = min(threadCount, count) - 1
        guard helpers > 0, sk_parallel_depth() == 0, let slot = claimFreeSlot() else {
            for chunk in 0..<count { body(chunk) }
            return
        }
        startWorkers(upTo: helpers)
        withoutActuallyEscaping(body) { body in
            slot.post(body, chunks: count)
            ticket.add(1, ordering: .sequentiallyConsistent)
            wakeSleepers(upTo: helpers)
            sk_set_parallel_depth(1)
            var ran = 0
            while let chunk = slot.claim() {
                body(chunk)
                ran += 1
            }
            sk_set_parallel_depth(0)
            slot.finish(ran, of: count)
        }
        slot.release()
    }

    private func claimFreeSlot() -> JobSlot? {
        slots.first { $0.owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged }
    }

    /// Signals up to `count` sleeping workers among the active ones (a store then a load on
    /// each side, sequentially consistent: either the worker sees the new ticket before it
    /// sleeps, or this sees it asleep).
    private func wakeSleepers(upTo count: Int) {
        var left = count
        for index in 0..<min(started.load(ordering: .acquiring), threadCount - 1) where left > 0 {
            if workers[index]!.wakeIfSleeping() { left -= 1 }
        }
    }

    /// Makes sure workers 0..<count exist.
    private func startWorkers(upTo count: Int) {
        guard started.load(ordering: .acquiring) < count else { return }
        starting.withLock { _ in
            var index = started.load(ordering: .relaxed)
            while index < count {
                let worker = Worker(index: index, pool: self)
                guard worker.start() else { break }  // no more threads: run with the ones there are
                workers[index] = worker
                index += 1
                started.store(index, ordering: .releasing)
            }
        }
    }

    /// One worker's life: run chunks while there are any, spin a while, sleep.
    fileprivate func workerLoop(_ worker: Worker) {
        sk_set_parallel_depth(1)  // a loop started from a chunk runs on its own thread
        let firstSlot = worker.index % slots.count
        while true {
            let seen = ticket.load(ordering: .acquiring)
            if worker.index < threadCount - 1 {
                var claimed: (JobSlot, Int)?
                for offset in 0..<slots.count {
                    let slot = slots[(firstSlot + offset) % slots.count]
                    if let chunk = slot.claim() { claimed = (slot, chunk); break }
                }
                if let (slot, chunk) = claimed {
                    slot.runClaimed(chunk)
                    continue
                }
                // Poll until something is posted or the spin time is over.
                let deadline = ContinuousClock.now + Self.spinDuration
                let oversubscribed = threadCount > availableCPUs
                var polls = 0
                while ticket.load(ordering: .acquiring) == seen && (polls & 255 != 0 || ContinuousClock.now < deadline) {
                    if oversubscribed { sched_yield() } else { sk_spin_pause() }
                    polls &+= 1
                }
                if ticket.load(ordering: .acquiring) != seen { continue }
            }
            worker.sleep(unlessTicketMovedFrom: seen, ticket: ticket)
        }
    }
}

/// One job in flight: a loop body and the claims on its chunks.
private final class JobSlot: @unchecked Sendable {
    /// generation (high 32 bits) | chunk count (16 bits) | next unclaimed chunk (low 16 bits).
    /// A thread claims a chunk by bumping the next chunk with a compare-exchange; the
    /// generation makes a claim read before the slot was reused fail.
    let claims = Atomic<UInt64>(0)
    /// Chunks run to the end (by any thread) of the current job.
    let finished = Atomic<Int>(0)
    /// Held by the caller that posts into this slot, until its job is done.
    let owned = Atomic<Bool>(false)
    /// The loop body: written by the owner before it publishes `claims`, read by a thread
    /// only after its claim, so the claim's acquire ordering makes it visible.
    private var body: ((Int) -> Void)?
    private var generation: UInt64 = 0

    static let maximumChunks = 0xFFFF

    func post(_ body: @escaping (Int) -> Void, chunks count: Int) {
        precondition(count <= Self.maximumChunks, "internal: \(count) chunks in one parallel loop")
        self.body = body
        finished.store(0, ordering: .relaxed)
        generation &+= 1
        claims.store((generation & 0xFFFF_FFFF) << 32 | UInt64(count) << 16, ordering: .releasing)
    }

    /// The next unclaimed chunk of the current job, now this thread's to run; nil when none is left.
    @inline(__always)
    func claim() -> Int? {
        var current = claims.load(ordering: .acquiring)
        while true {
            let next = current & 0xFFFF, count = (current >> 16) & 0xFFFF
            guard next < count else { return nil }
            let (exchanged, original) = claims.compareExchange(
                expected: current, desired: current + 1, successOrdering: .acquiring, failureOrdering: .acquiring)
            if exchanged { return Int(next) }
            current = original
        }
    }

    /// Runs a chunk another thread posted. The body is released before the chunk counts as
    /// finished: once all have, the owner's `withoutActuallyEscaping` may end.
    func runClaimed(_ chunk: Int) {
        callBody(chunk)
        finished.add(1, ordering: .releasing)
    }

    @inline(never)
    private func callBody(_ chunk: Int) { body.unsafelyUnwrapped(chunk) }

    /// The owner, after running `ran` chunks itself: waits for the others' chunks.
    func finish(_ ran: Int, of count: Int) {
        var done = finished.add(ran, ordering: .acquiringAndReleasing).newValue
        var polls = 0
        while done != count {
            // Spin, then yield: a thread running one of the chunks may share this CPU.
            if polls < 1024 { sk_spin_pause() } else { sched_yield() }
            polls &+= 1
            done = finished.load(ordering: .acquiring)
        }
        body = nil
    }

    func release() { owned.store(false, ordering: .releasing) }
}

/// A worker thread and how it sleeps.
private final class Worker: @unchecked Sendable {
    let index: Int
    unowned let pool: ThreadPool
    private let sleeping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)

    init(index: Int, pool: ThreadPool) {
        self.index = index
        self.pool = pool
    }

    func start() -> Bool {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<Worker>.fromOpaque(context!).takeUnretainedValue()
            worker.pool.workerLoop(worker)
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Worker>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// Sleeps until woken, unless a job was posted after `seen`. Spurious wake-ups are
    /// harmless: the worker looks for work and comes back.
    func sleep(unlessTicketMovedFrom seen: Int, ticket: borrowing Atomic<Int>) {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if ticket.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
        sleeping.store(false, ordering: .sequentiallyConsistent)
    }

    /// Wakes the worker if it sleeps (or is about to); true if this call woke it.
    func wakeIfSleeping() -> Bool {
        guard sleeping.load(ordering: .sequentiallyConsistent),
              sleeping.exchange(false, ordering: .sequentiallyConsistent) else { return false }
        wakeUp.signal()
        return true
    }
}
