import Foundation
import Testing
@testable import SwiftKeras

/// An optimizer's per-variable state: each variable's slots belong to that variable only,
/// have its shape, and survive sharing one optimizer between models and threads.
@Suite struct OptimizerSlotTests {
    @Test func slotsOfAFreedVariableNeverServeANewOne() throws {
        let optimizer = Adam(learningRate: 0.1)
        weak var first: Variable?
        do {
            let small = Variable(Tensor.zeros([2]), name: "small")
            try optimizer.apply(gradients: [Tensor.ones([2])], to: [small])
            first = small
        }
        // The optimizer holds the variables it has state for (as Keras's does), so no new
        // variable can take the freed one's identity and with it a slot of the wrong size.
        #expect(first != nil)
        for round in 0..<500 {
            let large = Variable(Tensor.zeros([64]), name: "large")
            let state = optimizer.slots(for: large)
            #expect(state.count == 2 && state.allSatisfy { $0.shape == [64] }, "round \(round): \(state.map(\.shape))")
            if state.contains(where: { $0.shape != [64] }) { break }
        }
    }

    @Test func slotsFollowTheModelAfterPopAndAdd() throws {
        let optimizer = Adam(learningRate: 0.01)
        let x = Tensor.ones([4, 3]), y = Tensor.zeros([4, 2])
        for width in [8, 64, 5] {
            // A model freed before the next one reuses the optimizer.
            let model = Sequential([Dense(width, inputShape: [3]), Dense(2)])
            model.compile(loss: .mse, optimizer: optimizer)
            try model.fit(x, y, epochs: 2, verbose: 0)
            model.pop()
            model.add(Dense(2 * width))
            model.add(Dense(2))
            try model.fit(x, y, epochs: 2, verbose: 0)
            for variable in model.trainableWeights {
                #expect(optimizer.slots(for: variable).allSatisfy { $0.shape == variable.shape }, "\(variable.name)")
            }
        }
    }

    @Test func slotsFromOutsideMustHaveTheVariablesShape() throws {
        let optimizer = SGD(learningRate: 0.1, momentum: 0.9)
        let variable = Variable(Tensor.zeros([3]), name: "w")
        #expect(throws: KerasError.self) { try optimizer.setSlot(0, of: variable, to: Tensor.zeros([4])) }
        #expect(throws: KerasError.self) { try optimizer.setSlot(1, of: variable, to: Tensor.zeros([3])) }
        try optimizer.setSlot(0, of: variable, to: Tensor.ones([3]))
        #expect(optimizer.slots(for: variable)[0].scalars == [1, 1, 1])
    }

    @Test func oneOptimizerSteppedFromTwoThreads() throws {
        // SGD with momentum: each variable's result depends only on its own gradients, so
        // any interleaving of the two threads' steps gives the sequential result.
        let steps = 300
        @Sendable func train(_ optimizer: Optimizer, _ variable: Variable, _ gradient: Float) throws {
            for _ in 0..<steps { try optimizer.apply(gradients: [Tensor(repeating: gradient, shape: variable.shape)], to: [variable]) }
        }
        let alone = SGD(learningRate: 0.01, momentum: 0.9)
        let expected = [Variable(Tensor.zeros([1000]), name: "a"), Variable(Tensor.zeros([7]), name: "b")]
        try train(alone, expected[0], 1)
        try train(SGD(learningRate: 0.01, momentum: 0.9), expected[1], -2)

        let shared = SGD(learningRate: 0.01, momentum: 0.9)
        let variables = [Variable(Tensor.zeros([1000]), name: "a"), Variable(Tensor.zeros([7]), name: "b")]
        let failures = Lock(0)
        let optimizer = Shared(shared as Optimizer)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do { try train(optimizer.value, variables[i], i == 0 ? 1 : -2) } catch { failures.withLock { $0 += 1 } }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(shared.iterations == 2 * steps)
        for (got, want) in zip(variables, expected) {
            #expect(withoutGradients { got.value }.scalars == withoutGradients { want.value }.scalars, "\(got.name)")
        }
    }
}
