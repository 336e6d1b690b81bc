import Foundation
import Testing
@testable import SwiftKeras

@Suite struct DatasetTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "swiftkeras-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func bigEndian(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0..<4).map { UInt8((v >> (24 - 8 * $0)) & 0xFF) } } }

    @Test func bundledMNISTHasKerasShapesAndKnownLabels() throws {
        let ((xTrain, yTrain), (xTest, yTest)) = try MNIST.loadData()
        #expect(xTrain.shape == [60000, 28, 28])
        #expect(yTrain.shape == [60000])
        #expect(xTest.shape == [10000, 28, 28])
        #expect(yTest.shape == [10000])
        #expect(Array(yTrain.scalars.prefix(10)) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        #expect(Array(yTest.scalars.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        // Mean pixel value 33.318 (train), as the dataset README states.
        let mean = xTrain.scalars.reduce(0.0) { $0 + Double($1) } / Double(xTrain.count)
        #expect(Swift.abs(mean - 33.318) < 0.01)
    }

    @Test func readsPlainAndGzipIDX() throws {
        let dir = try temporaryDirectory()
        let labels = bigEndian([2049, 3]) + [7, 1, 9]
        try write(labels, to: dir + "/labels")
        #expect(try MNIST.readLabels(dir + "/labels").scalars == [7, 1, 9])
        let images = bigEndian([2051, 1, 2, 2]) + [0, 255, 128, 1]
        try write(images, to: dir + "/images")
        let x = try MNIST.readImages(dir + "/images")
        #expect(x.shape == [1, 2, 2] && x.scalars == [0, 255, 128, 1])
    }

    @Test func missingTruncatedAndWrongMagicFilesNameTheFile() throws {
        let dir = try temporaryDirectory()
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        let missing = message { _ = try MNIST.loadData(directory: dir) }
        #expect(missing.contains(dir + "/train-images-idx3-ubyte.gz") && missing.contains("not found"))

        try write(bigEndian([2051, 2, 28, 28]) + [UInt8](repeating: 0, count: 100), to: dir + "/short")
        let truncated = message { _ = try MNIST.readImages(dir + "/short") }
        #expect(truncated.contains(dir + "/short") && truncated.contains("truncated"))

        try write(bigEndian([2049, 1]) + [3], to: dir + "/labels-as-images")
        let magic = message { _ = try MNIST.readImages(dir + "/labels-as-images") }
        #expect(magic.contains("magic number 2049, expected 2051"))

        try write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], to: dir + "/corrupt.gz")
        let corrupt = message { _ = try MNIST.readLabels(dir + "/corrupt.gz") }
        #expect(corrupt.contains(dir + "/corrupt.gz"))

        try write([1, 2], to: dir + "/tiny")
        #expect(message { _ = try MNIST.readLabels(dir + "/tiny") }.contains("IDX header"))
    }
}

@Suite struct GzipTests {
    @Test func truncatedGzipIsAnError() throws {
        let source = MNIST.bundledDirectory + "/t10k-labels-idx1-ubyte.gz"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let path = NSTemporaryDirectory() + "swiftkeras-truncated-\(UInt64.random(in: 0...UInt64.max)).gz"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        do {
            _ = try MNIST.readLabels(path)
            Issue.record("a truncated file was read without error")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("truncated"))
        }
    }
}
