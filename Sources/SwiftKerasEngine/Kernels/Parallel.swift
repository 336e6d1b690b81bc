import CKernels
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The two cores of the target machine split a batch in halves: each half runs on its own
/// thread with single-threaded GEMMs. For loops of small GEMMs (RNN steps) and for
/// convolutions (im2col, pooling) this beats threading each GEMM alone, which leaves the
/// per-element work between GEMMs on one core.
///
/// `body` gets a range of `count` items and the half's number (0 or 1); the halves must
/// touch disjoint memory (sums they share go through `HalfSums`). Batches below `minimum`
/// run as one part on the calling thread.
func inParallelHalves(count: Int, minimum: Int = 8, _ body: (Range<Int>, Int) -> Void) {
    guard count >= minimum else { body(0..<count, 0); return }
    let half = (count + 1) / 2
    BLASThreads.singleThreaded {
        WorkerPair.shared.run { part in body(part == 0 ? 0..<half : half..<count, part) }
    }
}

/// A sum (a weight gradient, say) that the halves of `inParallelHalves` accumulate apart:
/// half 0 into `total` itself, half 1 into a zeroed buffer of its own, which `combine()`
/// adds into `total` once both halves are done (adding zeros if only one half ran).
struct HalfSums {
    let total: UnsafeMutablePointer<Float>
    let count: Int
    private let second: TensorStorage

    init(into total: UnsafeMutablePointer<Float>, count: Int) {
        self.total = total
        self.count = count
        second = TensorStorage(repeating: 0, count: count)
    }

    /// Where half `part` (0 or 1) accumulates.
    func part(_ part: Int) -> UnsafeMutablePointer<Float> { part == 0 ? total : second.pointer }

    func combine() {
        let other = second.pointer
        for i in 0..<count { total[i] += other[i] }
    }
}

/// Elementwise passes shorter than this stay on one thread (waking a second one costs more).
let elementsWorthTwoThreads = 1 << 17

/// Products (GEMMs, convolutions) with fewer multiply-adds stay on one thread. With the
/// worker spinning, a split costs about a microsecond: at 2^18 rather than 2^20, batch-1
/// LeNet splits its first convolution and its 2352 x 256 Dense too (13.0k -> 15.0k images/s).
let multiplyAddsWorthTwoThreads = 1 << 18

/// Runs an elementwise pass over `count` elements in two halves on two threads when it is
/// long enough to pay for the second thread, else in one part on the calling thread.
/// `body` gets each part's range of elements and must write only inside it.
public func inParallelHalves(elements count: Int, _ body: (Range<Int>) -> Void) {
    inParallelHalves(count: count, minimum: elementsWorthTwoThreads) { range, _ in body(range) }
}

/// The calling thread and one long-lived worker run `body(0)` and `body(1)` side by side.
///
/// Waking a sleeping thread costs tens of microseconds on these virtual machines (a batch-1
/// LeNet prediction got slower, not faster, when its convolution was split through
/// `DispatchQueue.concurrentPerform`), so after each job the worker spins for a while
/// before it sleeps: a training step, which hands it work every few hundred microseconds,
/// never pays for a wake-up. A call made while a job is running (from the worker, or from
/// another thread) runs both parts itself, one after the other.
final class WorkerPair: @unchecked Sendable {
    static let shared = WorkerPair()

    /// How long the worker polls for the next job before it sleeps.
    private static let spinDuration = Duration.microseconds(300)

    private let busy = Atomic<Bool>(false)
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Jobs the worker found only when its sleep timed out, not through a signal: always 0
    /// unless the hand-off lost a wake-up (each would cost up to 50 ms).
    let missedWakeUps = Atomic<Int>(0)
    /// The job's second part; written before `posted` is incremented, read after it is seen.
    private var job: ((Int) -> Void)?

    private init() {
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<WorkerPair>.fromOpaque(context!).takeUnretainedValue().workerLoop()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(started == 0, "SwiftKeras could not start its worker thread (pthread_create: \(started))")
        pthread_detach(thread)
    }

    func run(_ body: (Int) -> Void) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            body(0)
            body(1)
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            // Sequentially consistent, with the worker's side: either it sees this ticket before
            // it sleeps, or this exchange sees it asleep and wakes it (or both: a spare signal,
            // which costs the worker one extra turn of its loop).
            let ticket = posted.add(1, ordering: .sequentiallyConsistent).newValue
            if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wakeUp.signal() }
            body(0)
            // Spin, then yield: if the worker shares this core, it must get to run.
            var polls = 0
            while finished.load(ordering: .acquiring) != ticket {
                sk_spin_pause()
                polls &+= 1
                if polls & 1023 == 0 { sched_yield() }
            }
            job = nil
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            // Poll for a while, then sleep until `run` signals.
            let deadline = ContinuousClock.now + Self.spinDuration
            var ticket = posted.load(ordering: .acquiring)
            var polls = 0
            while ticket == seen && (polls & 255 != 0 || ContinuousClock.now < deadline) {
                sk_spin_pause()
                polls &+= 1
                ticket = posted.load(ordering: .acquiring)
            }
            if ticket == seen {
                // Announce the sleep, then look once more (a store then a load: only sequential
                // consistency keeps them in order against `run`'s add-then-exchange). Wake-ups
                // may be spurious, and the timeout is a backstop: either way, look again.
                sleeping.store(true, ordering: .sequentiallyConsistent)
                if posted.load(ordering: .sequentiallyConsistent) == seen,
                   wakeUp.wait(timeout: .now() + .milliseconds(50)) == .timedOut,
                   posted.load(ordering: .sequentiallyConsistent) != seen {
                    missedWakeUps.add(1, ordering: .relaxed)
                }
                sleeping.store(false, ordering: .sequentiallyConsistent)
                continue
            }
            seen = ticket
            job?(1)
            finished.store(ticket, ordering: .releasing)
        }
    }
}

/// A value handed to worker threads whose accesses the caller keeps disjoint.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
