import Foundation
import Testing
@testable import SwiftKeras

@Suite struct ModelFileTests {
    @Test func sequentialRoundTrips() throws {
        try withTemporaryFolder { folder in
            try GlobalRandom.withSeed(7) {
                let model = Sequential([Dense(4, activation: .relu, inputShape: [3]), Dropout(0.5), Dense(2, activation: .softmax)])
                model.compile(loss: .sparseCategoricalCrossentropy, optimizer: Adam(), metrics: [.accuracy])
                let x = Tensor.randomNormal([8, 3]), y = try Tensor([0, 1, 1, 0, 1, 0, 0, 1], shape: [8])
                try model.fit(x, y, epochs: 1, verbose: 0)
                let path = folder + "/small.keras"
                try model.save(path)
                if let keep = ProcessInfo.processInfo.environment["SWIFTKERAS_KEEP"] { try? FileManager.default.copyItem(atPath: path, toPath: keep) }
                let loaded = try loadModel(path)
                #expect(try loaded.predict(x).scalars == model.predict(x).scalars)
                #expect(loaded.compiled?.optimizer.iterations == 1)
            }
        }
    }
}
