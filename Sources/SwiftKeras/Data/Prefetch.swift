import Foundation

/// The background thread of `Dataset.prefetch`: it runs the upstream pass and queues up to
/// `capacity` results; the consumer takes them in order. The thread ends at the end of the
/// pass, after an error, or when `stop()` is called (which waits for it).
final class PrefetchProducer<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    /// Results in order; nil marks the end of the pass.
    private var queue: [Result<Element?, Error>] = []
    private var stopping = false
    private var running = true

    init(capacity: Int, upstream: @escaping () throws -> DatasetIterator<Element>) {
        self.capacity = capacity
        // The pipeline's closures are not Sendable; only this thread runs them during the pass.
        let box = UncheckedSendable(upstream)
        let thread = Thread { [self] in
            withoutGradients { produce(box.value) }
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "SwiftKeras prefetch"
        thread.start()
    }

    private func produce(_ makeUpstream: () throws -> DatasetIterator<Element>) {
        let upstream: DatasetIterator<Element>
        do { upstream = try makeUpstream() } catch { deliver(.failure(error)); return }
        defer { upstream.close() }
        while true {
            let result = Result { try upstream.next() }
            guard deliver(result) else { return }
            if case .success(nil) = result { return }
            if case .failure = result { return }
        }
    }

    /// Queues a result, waiting while the queue is full; false once stopping.
    @discardableResult
    private func deliver(_ result: Result<Element?, Error>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && !stopping { condition.wait() }
        guard !stopping else { return false }
        queue.append(result)
        condition.broadcast()
        return true
    }

    func next() throws -> Element? {
        condition.lock()
        while queue.isEmpty && running { condition.wait() }
        guard !queue.isEmpty else {
            condition.unlock()
            return nil
        }
        let result = queue.removeFirst()
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Ends the thread and waits for it.
    func stop() {
        condition.lock()
        stopping = true
        queue.removeAll()
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    deinit { stop() }
}

/// Hands a value to another thread whose use of it is serialized by other means.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
