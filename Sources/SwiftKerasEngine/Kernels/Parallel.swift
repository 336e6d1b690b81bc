import Dispatch

/// The two cores of the target machine split a batch in halves: each half runs on its own
/// thread with single-threaded GEMMs. For loops of small GEMMs (RNN steps) and for
/// convolutions (im2col, pooling) this beats threading each GEMM alone, which leaves the
/// per-element work between GEMMs on one core.
///
/// `body` gets a range of `count` items and the half's number (0 or 1); the halves must
/// touch disjoint memory. Batches below `minimum` run as one part on the calling thread.
/// Returns the number of parts that ran (1 or 2).
@discardableResult
func inParallelHalves(count: Int, minimum: Int = 8, _ body: (Range<Int>, Int) -> Void) -> Int {
    guard count >= minimum else { body(0..<count, 0); return 1 }
    let half = (count + 1) / 2
    BLASThreads.singleThreaded {
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                shared.value(part == 0 ? 0..<half : half..<count, part)
            }
        }
    }
    return 2
}

/// Elementwise passes shorter than this stay on one thread (waking a second one costs more).
let elementsWorthTwoThreads = 1 << 17

/// A value handed to worker threads whose accesses the caller keeps disjoint.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
