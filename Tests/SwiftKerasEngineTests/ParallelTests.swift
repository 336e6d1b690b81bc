import Dispatch
import Glibc
import Synchronization
import Testing
@testable import SwiftKerasEngine

/// The worker pair behind `inParallelHalves` and two-thread GEMMs: every part runs exactly
/// once, also when calls nest (a part that splits again) or come from several threads at
/// once, and after the worker has gone to sleep.
@Suite struct ParallelTests {
    @Test func everyPartRunsOnce() {
        for _ in 0..<2_000 {
            let runs = Atomic<Int>(0)
            WorkerPair.shared.run { part in runs.add(part == 0 ? 1 : 100, ordering: .relaxed) }
            #expect(runs.load(ordering: .relaxed) == 101)
        }
    }

    @Test func nestedAndConcurrentCallsRunInline() {
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<300 {
                inParallelHalves(count: 10, minimum: 2) { outer, _ in
                    inParallelHalves(count: outer.count, minimum: 2) { inner, _ in
                        total.add(inner.count, ordering: .relaxed)
                    }
                }
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 300 * 10)
    }

    @Test func wakesWhileFallingAsleep() {
        // Pauses around the worker's spin time, so that jobs arrive while it goes to sleep.
        var random = RandomGenerator(seed: 9)
        for _ in 0..<400 {
            usleep(UInt32(200 + random.next() % 250))
            let runs = Atomic<Int>(0)
            WorkerPair.shared.run { _ in runs.add(1, ordering: .relaxed) }
            #expect(runs.load(ordering: .relaxed) == 2)
        }
        // The timeout backstop would hide a lost wake-up; the worker counts them.
        #expect(WorkerPair.shared.missedWakeUps.load(ordering: .relaxed) == 0)
    }

    @Test func wakesAfterSleeping() async throws {
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(5))  // longer than the worker's spin
            let halves = Mutex<[Range<Int>]>([])
            inParallelHalves(count: 7, minimum: 2) { range, _ in halves.withLock { $0.append(range) } }
            #expect(halves.withLock { $0.sorted { $0.lowerBound < $1.lowerBound } } == [0..<4, 4..<7])
        }
    }
}
