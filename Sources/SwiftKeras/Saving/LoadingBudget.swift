/// A cap on the weights a model built from a file may allocate: a config asking for a
/// layer of 10^12 parameters must fail with an error, not exhaust memory. Loading a
/// .keras file allows what its weights file can hold (every weight is stored there).
enum LoadingBudget {
    final class Remaining: Sendable {
        let elements: Lock<Int>
        let limit: Int
        init(_ limit: Int) { elements = Lock(limit); self.limit = limit }
    }

    @TaskLocal static var current: Remaining?

    /// Runs `body` allowing at most `elements` weight values to be created.
    static func limited<R>(to elements: Int, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(Remaining(elements)) { try body() }
    }

    /// Called for every weight a layer creates; free outside `limited`.
    static func charge(_ count: Int, for weight: String) throws {
        guard let budget = current else { return }
        let allowed = budget.elements.withLock { remaining -> Bool in
            guard count <= remaining else { return false }
            remaining -= count
            return true
        }
        guard allowed else {
            throw SavingError("weight \(weight) needs \(count) values, more than the \(budget.limit) the file can hold")
        }
    }
}
