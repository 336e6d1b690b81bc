import Foundation
import Glibc
import Testing
@testable import SwiftKeras

/// Runs `task` in a child process: this test binary again, running only `ChildTask`.
func spawnChild(_ task: String, arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["--testing-library", "swift-testing", "--filter", "ChildTask"]
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFTKERAS_CHILD_TASK"] = ([task] + arguments).joined(separator: "\u{1F}")
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// The work a child process does; a no-op in an ordinary test run.
@Suite struct ChildTask {
    @Test func run() throws {
        guard let task = ProcessInfo.processInfo.environment["SWIFTKERAS_CHILD_TASK"] else { return }
        let parts = task.split(separator: "\u{1F}").map(String.init)
        switch parts[0] {
        case "save-loop":
            // Saves a model over parts[1] again and again until killed; parts[2] tells the
            // parent it has started.
            let model = try ProcessTests.lenet(seed: 99)
            try model.save(parts[1])
            FileManager.default.createFile(atPath: parts[2], contents: Data())
            while true { try model.save(parts[1]) }
        case "resume":
            // Loads a checkpoint, trains one more epoch, saves the weights.
            let model = try loadModel(parts[1])
            let (x, y) = ProcessTests.data()
            try model.fit(x, y, batchSize: 16, epochs: 1, verbose: 0)
            try model.saveWeights(parts[2])
        default:
            Issue.record("unknown child task \(parts[0])")
        }
    }
}

@Suite(.serialized) struct ProcessTests {
    static func lenet(seed: UInt64) throws -> Model {
        try GlobalRandom.withSeed(seed) {
            let model = Sequential([
                Conv2D(filters: 32, kernelSize: (5, 5), padding: .same, activation: .relu, inputShape: [28, 28, 1]),
                MaxPool2D(poolSize: (2, 2)), Conv2D(filters: 48, kernelSize: (5, 5), padding: .same, activation: .relu),
                MaxPool2D(poolSize: (2, 2)), Flatten(), Dense(256, activation: .relu), Dense(84, activation: .relu),
                Dense(10, activation: .softmax),
            ])
            model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
            try model.build(inputShape: [28, 28, 1])
            return model
        }
    }

    /// A small classification problem, the same in every process.
    static func data() -> (Tensor, Tensor) {
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.randomNormal([64, 6], using: &rng)
        let y = Tensor.randomUniform([64], using: &rng).mapDetached { $0 < 0.5 ? 0 : 1 }
        return (x, y)
    }

    static func classifier() -> Sequential {
        Sequential([Dense(16, activation: .relu, inputShape: [6]), Dropout(0.3), Dense(2, activation: .softmax)])
    }

    /// A child killed (SIGKILL) while it saves over a file leaves the previous file intact:
    /// it loads, and is either the file it replaced or one the child finished.
    @Test func killedSaveLeavesAFileThatLoads() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/model.keras"
            let original = try Self.lenet(seed: 1)
            try original.save(path)
            var generator = RandomGenerator(seed: 5)
            let probe = Tensor.randomUniform([2, 28, 28, 1], using: &generator)
            let before = try original.predict(probe).scalars
            let child = try Self.lenet(seed: 99)
            let childPrediction = try child.predict(probe).scalars
            for (round, delay) in [37_000, 113_000, 251_000].enumerated() {
                let started = folder + "/started-\(round)"
                let process = try spawnChild("save-loop", arguments: [path, started])
                let deadline = Date().addingTimeInterval(60)
                while !FileManager.default.fileExists(atPath: started) && process.isRunning && Date() < deadline { usleep(5_000) }
                try #require(process.isRunning, "the child stopped before saving")
                usleep(useconds_t(delay))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal)
                let loaded = try loadModel(path, restoreRandomState: false)
                let after = try loaded.predict(probe).scalars
                #expect(after == before || after == childPrediction, "round \(round): the file is neither version")
            }
            // What a kill can leave: the target and temporary files beside it, never a torn target.
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasPrefix("started-") {
                #expect(name == "model.keras" || name.hasPrefix(".model.keras.tmp-"), "\(name)")
            }
        }
    }

    /// Train one epoch, save, load in a new process and train one more: the weights are
    /// bit for bit those of two epochs in one run (optimizer state, step count and the
    /// random generator's position restored; the model has dropout, so the last matters).
    @Test func resumedTrainingIsBitIdentical() throws {
        try withTemporaryFolder { folder in
            let (x, y) = Self.data()
            let unbroken = try GlobalRandom.withSeed(21) { () -> [Float] in
                let model = Self.classifier()
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.01), metrics: [.accuracy])
                try model.fit(x, y, batchSize: 16, epochs: 2, verbose: 0)
                return model.getWeights().flatMap(\.scalars)
            }
            let checkpoint = folder + "/epoch1.keras", resumed = folder + "/epoch2.weights.h5"
            let model = try GlobalRandom.withSeed(21) { () -> Model in
                let model = Self.classifier()
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(learningRate: 0.01), metrics: [.accuracy])
                try model.fit(x, y, batchSize: 16, epochs: 1, verbose: 0)
                try model.save(checkpoint)
                return model
            }
            let process = try spawnChild("resume", arguments: [checkpoint, resumed])
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "the child failed")
            try model.loadWeights(resumed)
            #expect(model.getWeights().flatMap(\.scalars) == unbroken)
            #expect(model.compiled?.optimizer.iterations == 8)
        }
    }
}
