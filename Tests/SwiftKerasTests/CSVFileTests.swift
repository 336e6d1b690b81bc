import Foundation
import Testing
@testable import SwiftKeras

@Suite struct CSVFileTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "swiftkeras-csv-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func featuresAndNumericLabelsByNameOrIndex() throws {
        let path = try file("iris.csv", "sepal,petal , label\n5.1, 1.4,0\n\n4.9,1e-1,2\r\n6.0,-3,1\n")
        let (x, y) = try loadCSV(path, labelColumn: "label")
        #expect(x.shape == [3, 2] && x.scalars == [5.1, 1.4, 4.9, 0.1, 6.0, -3])
        #expect(y.shape == [3] && y.scalars == [0, 2, 1])
        let (x0, y0) = try loadCSV(path, labelColumn: 0)
        #expect(x0.scalars == [1.4, 0, 0.1, 2, -3, 1] && y0.scalars == [5.1, 4.9, 6.0])
        #expect(try loadCSV(path, labelColumn: -1).labels.scalars == [0, 2, 1])
        #expect(try loadCSV(path).shape == [3, 3])
    }

    @Test func quotedFieldsAndClassNames() throws {
        let path = try file("q.csv", "a;b;kind\n1;\"2\";\"cat; \"\"tabby\"\"\"\n3;4;dog\n5;6;\"multi\nline\"\n7;8;dog\n")
        let (x, y) = try loadCSV(path, labelColumn: "kind", delimiter: ";")
        #expect(x.scalars == [1, 2, 3, 4, 5, 6, 7, 8])
        // Sorted names: "cat; \"tabby\"", "dog", "multi\nline".
        #expect(y.scalars == [0, 1, 2, 1])
        let chosen = try loadCSV(path, labelColumn: 2, delimiter: ";", classNames: ["dog", "multi\nline", "cat; \"tabby\""])
        #expect(chosen.labels.scalars == [2, 0, 1, 0])
        let unknown = message { _ = try loadCSV(path, labelColumn: 2, delimiter: ";", classNames: ["dog"]) }
        #expect(unknown.contains("row 2, column 3 (\"kind\"): label \"cat; \"tabby\"\" is not one of classNames"))
    }

    @Test func noHeaderAndByteOrderMark() throws {
        let path = try file("plain.csv", "\u{FEFF}1,2\n3,4\n")
        #expect(try loadCSV(path, header: false).scalars == [1, 2, 3, 4])
        let named = message { _ = try loadCSV(path, labelColumn: "x", header: false) }
        #expect(named.contains("header is false"))
    }

    @Test func errorsNameFileRowAndColumn() throws {
        let missingColumn = try file("short.csv", "a,b,c\n1,2,3\n4,5\n")
        let short = message { _ = try loadCSV(missingColumn, labelColumn: "c") }
        #expect(short.contains("short.csv: row 3 has 2 fields, expected 3 (as in the header)"))

        let gaps = try file("gaps.csv", "a,b,y\n1,,0\n2,NA,1\n")
        let gap = message { _ = try loadCSV(gaps, labelColumn: "y") }
        #expect(gap.contains("gaps.csv: row 2, column 2 (\"b\"): missing value; pass fillMissing:"))
        #expect(try loadCSV(gaps, labelColumn: "y", fillMissing: -1).features.scalars == [1, -1, 2, -1])

        let noLabel = try file("nolabel.csv", "a,y\n1,0\n2,\n")
        #expect(message { _ = try loadCSV(noLabel, labelColumn: "y", fillMissing: 0) }.contains("row 3, column 2 (\"y\"): missing label"))

        let words = try file("words.csv", "a,y\n1,0\nabc,1\n")
        #expect(message { _ = try loadCSV(words, labelColumn: "y") }.contains("row 3, column 1 (\"a\"): cannot read \"abc\" as a number"))

        let mixed = try file("mixed.csv", "a,y\n1,0\n2,cat\n")
        #expect(message { _ = try loadCSV(mixed, labelColumn: "y") }.contains("mixes numbers (row 2: \"0\") and class names (row 3: \"cat\")"))

        let unclosed = try file("unclosed.csv", "a,b\n1,\"2\n3,4\n")
        #expect(message { _ = try loadCSV(unclosed) }.contains("unclosed.csv: row 2, column 2 (\"b\"): cannot read \"2\n3,4\n\""))

        #expect(message { _ = try loadCSV(dir + "/none.csv") }.contains("none.csv: file not found"))
        #expect(message { _ = try loadCSV(try file("empty.csv", "a,b\n")) }.contains("empty.csv: no data rows"))
        #expect(message { _ = try loadCSV(gaps, labelColumn: "z") }.contains("no column named \"z\""))
        #expect(message { _ = try loadCSV(gaps, labelColumn: 3) }.contains("labelColumn 3 is out of range for 3 columns"))
        #expect(message { _ = try loadCSV(missingColumn, delimiter: "\"") }.contains("delimiter"))
    }

    @Test func damagedFilesNeverTrap() throws {
        let good = Array("x,y,label\n1.5,\"2\",a\n3,4,\"b,c\"\n5,6,a\n".utf8)
        var rng = RandomGenerator(seed: 3)
        for trial in 0..<100 {
            var bytes = good
            for _ in 0...(trial % 3) {
                let at = Int(rng.next() % UInt64(bytes.count))
                bytes[at] = [UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "\n"), 0xFF, 0xC3, 0][Int(rng.next() % 6)]
            }
            let path = dir + "/fuzz\(trial).csv"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            _ = message { _ = try loadCSV(path, labelColumn: "label") }
            _ = message { _ = try loadCSV(path, header: false) }
        }
    }
}
