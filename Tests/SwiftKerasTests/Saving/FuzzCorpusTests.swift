import Foundation
import Testing
@_spi(Fuzzing) @testable import SwiftKeras

/// Replays the fuzzers' committed corpus (Scripts/fuzz/corpus/<loader>/) through the same
/// loaders: every input may be rejected, none may trap.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts/fuzz/corpus")

    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusReplays(_ name: String) throws {
        let folder = Self.corpus.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty, "no seed corpus for \(name)")
        for file in files {
            FuzzTargets.run(name, Array(try Data(contentsOf: folder.appendingPathComponent(file))))
        }
    }

    /// Writes the weights target's seed (run with SWIFTKERAS_WRITE_FUZZ_SEEDS=1).
    @Test func writeWeightsSeed() throws {
        guard ProcessInfo.processInfo.environment["SWIFTKERAS_WRITE_FUZZ_SEEDS"] != nil else { return }
        try GlobalRandom.withSeed(1) {
            let model = FuzzTargets.weightsModel()
            try model.trainOnBatch(Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], shape: [2, 5]), Tensor([0.5, -1], shape: [2, 1]))
            try model.saveWeights(Self.corpus.appendingPathComponent("weights/model.weights.h5").path)
        }
    }
}
