#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a `pthread_mutex_t`, used the way `Synchronization.Mutex` is:
/// `lock.withLock { value in ... }`.
///
/// Every lock in SwiftKeras is one of these rather than the standard library's `Mutex`.
/// On Linux that `Mutex` is a priority-inheritance futex: under contention the kernel hands the
/// lock straight to the waiting thread, and ThreadSanitizer, which sees no release/acquire pair,
/// reports every access made under it as a race (swiftlang/swift#88440). ThreadSanitizer
/// intercepts `pthread_mutex_lock`, so a race under this lock is a real one. The cost is the
/// same order: an uncontended lock and unlock is one atomic exchange each way in glibc.
package final class Lock<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Behind a pointer rather than a stored `var`: a class's `var` passed `inout` costs a
    /// dynamic exclusivity check per access, which doubled the time of a locked buffer-pool
    /// operation (measured: about 20 ns this way, as with `Mutex`).
    @usableFromInline let value: UnsafeMutablePointer<Value>

    package init(_ value: Value) {
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // Fails only for a bad attribute, and the default (nil) is valid.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with the value while holding the lock; the lock is released however `body`
    /// ends. Not reentrant: calling `withLock` on the same lock inside `body` deadlocks.
    @inlinable
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
