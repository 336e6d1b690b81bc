import CKernels
import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The number of threads SwiftKeras computes on: the calling thread and `numThreads - 1`
/// workers of its thread pool. Starts at the CPUs this process may use (its CPU affinity and
/// cgroup quota), unless `SWIFTKERAS_NUM_THREADS` (or else `OMP_NUM_THREADS`) sets it.
/// Results are the same for every thread count.
public var numThreads: Int { ThreadPool.shared.threadCount }

/// Sets `numThreads`, as `torch.set_num_threads` and
/// `tf.config.threading.set_intra_op_parallelism_threads` do: 0 goes back to the default
/// (the CPUs available). It may be called at any time, also while other threads train; it
/// changes only how fast results come, never their values.
public func setNumThreads(_ count: Int) throws {
    guard count >= 0 && count <= ThreadPool.maximumThreads else {
        throw TensorError.invalidArgument(
            op: "setNumThreads",
            message: "expected a thread count from 1 to \(ThreadPool.maximumThreads) (or 0 for the default, \(ThreadPool.shared.availableCPUs)), received \(count)")
    }
    ThreadPool.shared.setThreadCount(count == 0 ? ThreadPool.shared.availableCPUs : count)
}

/// Keeps OpenBLAS at one thread of its own. Its GEMMs run inside SwiftKeras's chunks (on
/// CPUs without AVX-512) and LAPACKE factors small matrices only; threads of its own would
/// spin on the cores the pool is using (its idle workers slowed batch-1 prediction by 30 %).
/// The pool does this when it starts; call it before any other use of OpenBLAS or LAPACKE.
public func prepareOpenBLAS() { _ = ThreadPool.shared }

func configureOpenBLAS() { openblas_set_num_threads(1) }

/// The thread count from the environment: `SWIFTKERAS_NUM_THREADS`, or else
/// `OMP_NUM_THREADS` (which PyTorch, oneDNN and OpenBLAS honour too, so one setting serves a
/// whole job); `fallback` when neither is set or the value is 0. A value that is not a
/// thread count is reported through `warn` (stderr) and ignored.
func threadCount(
    fromEnvironment lookup: (String) -> String? = { getenv($0).map { String(cString: $0) } },
    default fallback: Int, warn: (String) -> Void = writeWarning
) -> Int {
    for name in ["SWIFTKERAS_NUM_THREADS", "OMP_NUM_THREADS"] {
        guard let raw = lookup(name) else { continue }
        // OMP_NUM_THREADS may list one count per nesting level ("4,2"): the first is ours.
        let first = raw.split(separator: ",", omittingEmptySubsequences: false).first ?? ""
        if let count = Int(first.trimmingCharacters(in: " \t")), count >= 0, count <= ThreadPool.maximumThreads {
            return count == 0 ? fallback : count
        }
        warn("SwiftKeras: ignoring \(name)=\(raw): expected a thread count from 1 to \(ThreadPool.maximumThreads); using \(fallback) threads")
        return fallback
    }
    return fallback
}

/// The CPUs this process may run on: its affinity mask (as `os.sched_getaffinity` reports
/// it) and, in a container, its cgroup CPU quota (rounded up), whichever is smaller.
func availableCPUCount() -> Int {
    let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    var count = Int(sk_affinity_cpu_count())
    if count <= 0 { count = Swift.max(online, 1) }
    if let quota = cgroupCPULimit() { count = Swift.min(count, quota) }
    return Swift.max(count, 1)
}

func writeWarning(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = self
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}

// MARK: cgroup CPU quota

/// The CPU limit of this process's cgroup (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` over
/// `cpu.cfs_period_us`), in whole CPUs rounded up; nil when there is none. The tightest
/// limit on the way from the process's cgroup up to the root counts.
func cgroupCPULimit() -> Int? {
    guard let membership = readSmallFile("/proc/self/cgroup"),
          let mounts = readSmallFile("/proc/self/mountinfo") else { return nil }
    var limits: [Int] = []
    for mount in cgroupMounts(mountinfo: mounts) {
        guard let path = cgroupPath(membership: membership, version2: mount.version2),
              let directory = cgroupDirectory(mount: mount, path: path) else { continue }
        var current = directory
        while true {
            let limit = mount.version2
                ? readSmallFile(current + "/cpu.max").flatMap(cpuLimit(cpuMax:))
                : readSmallFile(current + "/cpu.cfs_quota_us").flatMap { quota in
                    readSmallFile(current + "/cpu.cfs_period_us").flatMap { cpuLimit(quota: quota, period: $0) }
                }
            if let limit { limits.append(limit) }
            guard current.count > mount.mountPoint.count, let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
    }
    return limits.min()
}

/// A cgroup file system mounted on this machine: where, and which part of the hierarchy.
struct CgroupMount: Equatable {
    let mountPoint: String
    let root: String
    let version2: Bool
}

/// The cgroup v2 mounts and the v1 mounts of the `cpu` controller, from /proc/self/mountinfo
/// (fields: id, parent, device, root, mount point, options, optional fields, "-", type,
/// source, super options).
func cgroupMounts(mountinfo: String) -> [CgroupMount] {
    var mounts: [CgroupMount] = []
    for line in mountinfo.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
        let type = fields[dash + 1]
        let superOptions = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",") : []
        if type == "cgroup2" {
            mounts.append(CgroupMount(mountPoint: unescapeMountField(fields[4]), root: unescapeMountField(fields[3]), version2: true))
        } else if type == "cgroup" && superOptions.contains("cpu") {
            mounts.append(CgroupMount(mountPoint: unescapeMountField(fields[4]), root: unescapeMountField(fields[3]), version2: false))
        }
    }
    return mounts
}

/// mountinfo writes spaces and a few other bytes as octal escapes (\040).
private func unescapeMountField(_ field: Substring) -> String {
    guard field.contains("\\") else { return String(field) }
    var bytes: [UInt8] = []
    let utf8 = Array(field.utf8)
    var i = 0
    while i < utf8.count {
        if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
           let value = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
            bytes.append(value)
            i += 4
        } else {
            bytes.append(utf8[i])
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// This process's cgroup path in the v2 hierarchy ("0::/path") or in the v1 hierarchy that
/// holds the `cpu` controller ("4:cpu,cpuacct:/path"), from /proc/self/cgroup.
func cgroupPath(membership: String, version2: Bool) -> String? {
    for line in membership.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        if version2 ? (fields[0] == "0" && fields[1].isEmpty) : fields[1].split(separator: ",").contains("cpu") {
            return String(fields[2])
        }
    }
    return nil
}

/// The directory of cgroup `path` under `mount`, or nil when the mount does not show it.
func cgroupDirectory(mount: CgroupMount, path: String) -> String? {
    var relative: Substring
    if mount.root == "/" {
        relative = Substring(path)
    } else if path == mount.root || path.hasPrefix(mount.root + "/") {
        relative = path.dropFirst(mount.root.count)
    } else {
        return nil
    }
    while relative.hasSuffix("/") { relative = relative.dropLast() }
    return mount.mountPoint + relative
}

/// CPUs allowed by a cgroup v2 `cpu.max` ("max 100000" or "150000 100000").
func cpuLimit(cpuMax: String) -> Int? {
    let fields = cpuMax.split(whereSeparator: { $0 == " " || $0 == "\n" })
    guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else { return nil }
    return (quota + period - 1) / period
}

/// CPUs allowed by cgroup v1 `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us`.
func cpuLimit(quota: String, period: String) -> Int? {
    let q = Int(quota.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
    let p = Int(period.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
    guard let q, let p, q > 0, p > 0 else { return nil }
    return (q + p - 1) / p
}

/// The contents of a small text file (under /proc or /sys), or nil if it cannot be read.
private func readSmallFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let read = fread(&buffer, 1, buffer.count, file)
        if read > 0 { bytes.append(contentsOf: buffer[0..<read]) }
        if read < buffer.count || bytes.count > 1 << 20 { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}
