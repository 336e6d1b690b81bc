import Foundation
import Testing
@testable import SwiftKeras

/// A fresh empty folder under the system's temporary folder, removed after `body`.
func withTemporaryFolder<R>(_ body: (String) throws -> R) throws -> R {
    let folder = NSTemporaryDirectory() + "swiftkeras-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try body(folder)
}

@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/log.csv"
            try AtomicFile.write("epoch,loss\n", to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "epoch,loss\n")
            try AtomicFile.write(Array("replaced".utf8), to: path)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "replaced")
            // Nothing but the target is left in the folder.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["log.csv"])
        }
    }

    @Test func failedWriterLeavesThePreviousFile() throws {
        struct Interrupted: Error {}
        try withTemporaryFolder { folder in
            let path = folder + "/model.weights.h5"
            try AtomicFile.write("old", to: path)
            #expect(throws: Interrupted.self) {
                try AtomicFile.write(to: path) { temporaryPath in
                    try "half".write(toFile: temporaryPath, atomically: false, encoding: .utf8)
                    throw Interrupted()
                }
            }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.weights.h5"])
        }
    }

    @Test func missingFolderNamesTheFile() throws {
        let path = "/nonexistent-swiftkeras-folder/model.keras"
        let error = #expect(throws: KerasError.self) { try AtomicFile.write("x", to: path) }
        #expect(error?.description.hasPrefix(path + ": cannot create a temporary file") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test func relativePathsStayInTheirFolder() throws {
        #expect(AtomicFile.folderOf("model.keras") == ".")
        #expect(AtomicFile.folderOf("out/model.keras") == "out")
        #expect(AtomicFile.folderOf("/model.keras") == "/")
    }
}
