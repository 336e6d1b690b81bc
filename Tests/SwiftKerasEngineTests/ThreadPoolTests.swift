import Dispatch
import Glibc
import Synchronization
import Testing
@testable import SwiftKerasEngine

/// The thread pool behind `parallelFor`: every chunk runs exactly once, also when loops
/// nest or come from several threads at once and after the workers have gone to sleep;
/// chunks depend on the work alone; chunk sums add up in chunk order. (Tests that change
/// the thread count are in SwiftKerasTests' `ThreadCountTests`, one at a time.)
@Suite struct ThreadPoolTests {
    @Test func everyChunkRunsOnce() {
        for count in [1, 2, 3, 7, 64, 1_000] {
            for _ in 0..<50 {
                let runs = Lock([Int](repeating: 0, count: count))
                parallelFor(Chunking(items: count, size: 1)) { range, chunk in
                    #expect(range == chunk..<(chunk + 1))
                    runs.withLock { $0[chunk] += 1 }
                }
                #expect(runs.withLock { $0.allSatisfy { $0 == 1 } })
            }
        }
    }

    @Test func nestedAndConcurrentLoops() {
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<300 {
                parallelFor(Chunking(items: 10, size: 3)) { outer, _ in
                    // From inside a chunk: runs on this thread, every chunk in order.
                    var seen: [Int] = []
                    parallelFor(Chunking(items: outer.count, size: 1)) { inner, chunk in
                        seen.append(chunk)
                        total.add(inner.count, ordering: .relaxed)
                    }
                    #expect(seen == Array(0..<outer.count))
                }
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 300 * 10)
    }

    @Test func jobsArriveWhileWorkersFallAsleep() {
        // Pauses around the workers' spin time, so that jobs arrive while they go to sleep.
        var random = RandomGenerator(seed: 9)
        for _ in 0..<400 {
            usleep(UInt32(200 + random.next() % 250))
            let runs = Atomic<Int>(0)
            parallelFor(Chunking(items: 4, size: 1)) { _, _ in runs.add(1, ordering: .relaxed) }
            #expect(runs.load(ordering: .relaxed) == 4)
        }
    }

    @Test func sleepingWorkersWakeForNewWork() async throws {
        guard numThreads > 1 else { return }
        // After a sleep longer than the spin, a job of slow chunks must reach a second thread.
        // (A lost wake-up would leave the caller to run them all.) Busy machines may delay the
        // worker; one of several tries must see it.
        var sawWorker = false
        for _ in 0..<5 where !sawWorker {
            try await Task.sleep(for: .milliseconds(5))
            let threads = Lock<Set<UInt>>([])
            parallelFor(Chunking(items: 16, size: 1)) { _, _ in
                threads.withLock { _ = $0.insert(UInt(pthread_self())) }
                let end = ContinuousClock.now + .milliseconds(2)
                while ContinuousClock.now < end {}
            }
            sawWorker = threads.withLock { $0.count } > 1
        }
        #expect(sawWorker)
    }

    @Test func chunkingDependsOnTheWorkOnly() {
        // Covers the items exactly, in equal chunks but the last, in multiples.
        for items in [0, 1, 5, 64, 100, 1_000, 123_457] {
            for cost in [1, 1_000, 1 << 20] {
                let c = Chunking(items: items, costPerItem: cost, multiple: 8)
                #expect(c.count <= Chunking.defaultMaximumChunks)
                var next = 0
                for chunk in 0..<c.count {
                    #expect(c[chunk].lowerBound == next)
                    #expect(c[chunk].count <= c.size)
                    next = c[chunk].upperBound
                }
                #expect(next == items)
                #expect(c.size % 8 == 0)
            }
        }
        // The least work per chunk and the most chunks.
        #expect(Chunking(items: 64, costPerItem: 1 << 14).count == 8)
        #expect(Chunking(items: 1 << 20, costPerItem: 1 << 20).count == Chunking.defaultMaximumChunks)
        #expect(Chunking.elements((1 << 16) - 1).count == 1)
        #expect(Chunking.elements(1 << 20).count == 16)
        #expect(Chunking(items: 1 << 30, size: 1).count == Chunking.maximumChunks)
    }

    @Test func chunkSumsAddInChunkOrder() {
        let count = 1_000, chunking = Chunking(items: 37, size: 4)
        var random = RandomGenerator(seed: 3)
        let values = (0..<(37 * count)).map { _ in random.nextNormal() * 1e3 }
        let total = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { total.deallocate() }
        let sums = ChunkSums(into: total, count: count, chunks: chunking.count)
        parallelFor(chunking) { items, chunk in
            let part = sums.zeroedPart(chunk)
            for item in items { for j in 0..<count { part[j] += values[item * count + j] } }
        }
        sums.combine()
        // The same arithmetic, one chunk after the other: bit for bit.
        for j in 0..<count {
            var expected: Float = 0
            for chunk in 0..<chunking.count {
                var part: Float = 0
                for item in chunking[chunk] { part += values[item * count + j] }
                expected = chunk == 0 ? part : expected + part
            }
            #expect(total[j].bitPattern == expected.bitPattern)
        }
    }

    @Test func gemmBlocksFollowTheShape() {
        // Too small to split; untransposed B by rows of at least 64, in whole micro-kernel
        // strips (8 rows with AVX-512, 6 with AVX2); transposed B by columns.
        #expect(gemmChunking(transA: false, transB: false, m: 8, n: 64, k: 64) == nil)
        let forward = gemmChunking(transA: false, transB: false, m: 128, n: 256, k: 2352)
        #expect(forward?.byRows == true && forward?.0.size == (64 + gemmRowBlock - 1) / gemmRowBlock * gemmRowBlock)
        let inputGradient = gemmChunking(transA: false, transB: true, m: 128, n: 2352, k: 256)
        #expect(inputGradient?.byRows == false && inputGradient.map { $0.0.size % 48 == 0 } == true)
        let batchOne = gemmChunking(transA: false, transB: false, m: 1, n: 256, k: 2352)
        #expect(batchOne?.byRows == false && batchOne.map { $0.0.size % 16 == 0 && $0.0.count > 1 } == true)
    }
}

/// Where the default thread count comes from: the environment, the affinity mask, the
/// cgroup quota.
@Suite struct AvailableCPUTests {
    @Test func environmentVariables() {
        func count(_ environment: [String: String]) -> Int {
            threadCount(fromEnvironment: { environment[$0] }, default: 6, warn: { _ in })
        }
        #expect(count([:]) == 6)
        #expect(count(["SWIFTKERAS_NUM_THREADS": "3"]) == 3)
        #expect(count(["SWIFTKERAS_NUM_THREADS": " 12 "]) == 12)
        #expect(count(["SWIFTKERAS_NUM_THREADS": "0"]) == 6)
        #expect(count(["OMP_NUM_THREADS": "4,2"]) == 4)
        #expect(count(["SWIFTKERAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "8"]) == 2)
        var warnings: [String] = []
        let bad = threadCount(fromEnvironment: { $0 == "SWIFTKERAS_NUM_THREADS" ? "many" : nil }, default: 6,
                              warn: { warnings.append($0) })
        #expect(bad == 6)
        #expect(warnings.count == 1 && warnings[0].contains("SWIFTKERAS_NUM_THREADS=many"))
        #expect(count(["SWIFTKERAS_NUM_THREADS": "-1"]) == 6)
        #expect(count(["SWIFTKERAS_NUM_THREADS": "100000"]) == 6)
    }

    @Test func theMachine() {
        #expect(ThreadPool.shared.availableCPUs >= 1)
        #expect(ThreadPool.shared.availableCPUs <= Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    @Test func cgroupVersion1() {
        // A hybrid host: cgroup v1 controllers, an empty v2 hierarchy.
        let mountinfo = """
            25 20 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
            26 25 0:23 / /sys/fs/cgroup/unified rw,relatime shared:7 - cgroup2 cgroup2 rw
            29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
            30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            """
        let mounts = cgroupMounts(mountinfo: mountinfo)
        #expect(mounts == [CgroupMount(mountPoint: "/sys/fs/cgroup/unified", root: "/", version2: true),
                           CgroupMount(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", version2: false)])
        let membership = "9:memory:/job\n4:cpu,cpuacct:/job/step\n0::/\n"
        #expect(cgroupPath(membership: membership, version2: false) == "/job/step")
        #expect(cgroupPath(membership: membership, version2: true) == "/")
        #expect(cgroupDirectory(mount: mounts[1], path: "/job/step") == "/sys/fs/cgroup/cpu,cpuacct/job/step")
        #expect(cpuLimit(quota: "-1\n", period: "100000\n") == nil)
        #expect(cpuLimit(quota: "150000\n", period: "100000\n") == 2)
    }

    @Test func cgroupVersion2() {
        // A container: its own cgroup is the root of the mount it sees.
        let mountinfo = "1200 1100 0:30 /kubepods/pod1/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw,nsdelegate\n"
        let mount = cgroupMounts(mountinfo: mountinfo)[0]
        #expect(mount == CgroupMount(mountPoint: "/sys/fs/cgroup", root: "/kubepods/pod1/abc", version2: true))
        #expect(cgroupDirectory(mount: mount, path: "/kubepods/pod1/abc") == "/sys/fs/cgroup")
        #expect(cgroupDirectory(mount: mount, path: "/kubepods/pod1/abc/inner") == "/sys/fs/cgroup/inner")
        #expect(cgroupDirectory(mount: mount, path: "/elsewhere") == nil)
        #expect(cpuLimit(cpuMax: "max 100000\n") == nil)
        #expect(cpuLimit(cpuMax: "200000 100000\n") == 2)
        #expect(cpuLimit(cpuMax: "50000 100000\n") == 1)
        #expect(cgroupMounts(mountinfo: "36 25 0:31 / /mnt/my\\040cgroup rw - cgroup2 none rw\n")[0].mountPoint == "/mnt/my cgroup")
    }
}
