import CZlib
import Foundation
import Testing
@testable import SwiftKeras

@Suite struct TextDataTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "swiftkeras-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func write(_ text: String, to path: String, gzip: Bool = false) throws {
        guard gzip else { return try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        let file = try #require(gzopen(path, "wb"))
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) } == Int32(bytes.count))
        #expect(gzclose(file) == Z_OK)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    // MARK: pad_sequences

    @Test func padSequencesPadsAndTruncatesAtEitherEnd() throws {
        let sequences = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10, 11]]
        let longest = try padSequences(sequences)
        #expect(longest.shape == [4, 6])
        #expect(longest.scalars == [0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 6, 7, 8, 9, 10, 11])
        let cases: [(PaddingSide, PaddingSide, [Float])] = [
            (.pre, .pre, [0, 1, 2, 3, 0, 0, 4, 5, 0, 0, 0, 0, 8, 9, 10, 11]),
            (.pre, .post, [0, 1, 2, 3, 0, 0, 4, 5, 0, 0, 0, 0, 6, 7, 8, 9]),
            (.post, .pre, [1, 2, 3, 0, 4, 5, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11]),
            (.post, .post, [1, 2, 3, 0, 4, 5, 0, 0, 0, 0, 0, 0, 6, 7, 8, 9]),
        ]
        for (padding, truncating, expected) in cases {
            let x = try padSequences(sequences, maxlen: 4, padding: padding, truncating: truncating)
            #expect(x.shape == [4, 4] && x.scalars == expected, "padding \(padding), truncating \(truncating)")
        }
        let filled = try padSequences([[7], []], maxlen: 3, padding: .post, value: -1)
        #expect(filled.scalars == [7, -1, -1, -1, -1, -1])
        #expect(try padSequences([[1, 2]], maxlen: 2).scalars == [1, 2])
    }

    @Test func padSequencesEdgeCases() throws {
        #expect(try padSequences([]).shape == [0, 0])
        #expect(try padSequences([], maxlen: 3).shape == [0, 3])
        #expect(try padSequences([[], []]).shape == [2, 0])
        for maxlen in [0, -2] {
            let error = message { _ = try padSequences([[1]], maxlen: maxlen) }
            #expect(error.contains("maxlen") && error.contains("\(maxlen)"))
            #expect(throws: KerasError.self) { try padSequences([[1]], maxlen: maxlen) }
        }
    }

    // MARK: Tokenizer

    @Test func tokenizerRanksByCountThenFirstAppearance() throws {
        let tokenizer = try Tokenizer()
        tokenizer.fitOnTexts(["The cat sat.", "The dog, the CAT!", "a bird"])
        #expect(tokenizer.wordIndex == ["the": 1, "cat": 2, "sat": 3, "dog": 4, "a": 5, "bird": 6])
        #expect(tokenizer.indexWord == [1: "the", 2: "cat", 3: "sat", 4: "dog", 5: "a", 6: "bird"])
        #expect(tokenizer.wordCounts.map(\.word) == ["the", "cat", "sat", "dog", "a", "bird"])
        #expect(tokenizer.wordCounts.map(\.count) == [3, 2, 1, 1, 1, 1])
        #expect(tokenizer.textsToSequences(["the bird sat on the cat", ""]) == [[1, 6, 3, 1, 2], []])
        #expect(tokenizer.sequencesToTexts([[1, 2, 99, 3]]) == ["the cat sat"])

        // A second fit adds to the counts: "bird" overtakes the words seen once.
        tokenizer.fitOnTexts(["bird bird"])
        #expect(tokenizer.wordIndex["bird"] == 2 && tokenizer.wordIndex["cat"] == 3)
    }

    @Test func tokenizerNumWordsAndOOV() throws {
        let texts = ["The cat sat.", "The dog, the CAT!", "a bird"]
        let limited = try Tokenizer(numWords: 3)
        limited.fitOnTexts(texts)
        #expect(limited.wordIndex.count == 6)  // the index keeps every word
        #expect(limited.textsToSequences(["the cat sat on a dog"]) == [[1, 2]])
        #expect(limited.sequencesToTexts([[1, 2, 3, 4]]) == ["the cat"])

        let oov = try Tokenizer(numWords: 4, oovToken: "<OOV>")
        oov.fitOnTexts(texts)
        #expect(oov.wordIndex["<OOV>"] == 1 && oov.wordIndex["the"] == 2 && oov.wordIndex["bird"] == 7)
        #expect(oov.textsToSequences(["the cat sat on a dog"]) == [[2, 3, 1, 1, 1, 1]])
        #expect(oov.sequencesToTexts([[2, 3, 4, 99]]) == ["the cat <OOV> <OOV>"])
    }

    @Test func tokenizerFiltersLowerAndSplit() throws {
        let tokenizer = try Tokenizer(filters: ".", lower: false, split: "||")
        tokenizer.fitOnTexts(["A||b.c||||A d"])
        #expect(tokenizer.wordIndex == ["A": 1, "b": 2, "c": 3, "A d": 4])
        #expect(try Tokenizer().words("Don't stop,me-now\tÉTÉ\n") == ["don't", "stop", "me", "now", "été"])
    }

    @Test func padSequencesAndTokenizerMatchKeras() throws {
        let fixtures = try Fixtures.loadObject("text")
        for item in try #require(fixtures["pad_sequences"] as? [[String: Any]]) {
            let name = try #require(item["name"] as? String)
            let args = try #require(item["args"] as? [String: Any])
            let x = try padSequences(
                try #require(item["sequences"] as? [[Int]]), maxlen: args["maxlen"] as? Int,
                padding: PaddingSide(rawValue: args["padding"] as? String ?? "pre")!,
                truncating: PaddingSide(rawValue: args["truncating"] as? String ?? "pre")!,
                value: Float(args["value"] as? Double ?? 0))
            let expected = try #require(item["output"] as? [[Double]])
            #expect(x.shape == [expected.count, expected.first?.count ?? 0], "\(name)")
            #expect(x.scalars == expected.flatMap { $0.map(Float.init) }, "\(name)")
        }
        #expect(fixtures["tokenizer_default_filters"] as? String == Tokenizer.defaultFilters)
        for item in try #require(fixtures["tokenizer"] as? [[String: Any]]) {
            let name = try #require(item["name"] as? String)
            let args = try #require(item["args"] as? [String: Any])
            let tokenizer = try Tokenizer(numWords: args["num_words"] as? Int, oovToken: args["oov_token"] as? String)
            tokenizer.fitOnTexts(try #require(item["fit_texts"] as? [String]))
            let pairs = try #require(item["word_index"] as? [[Any]])
            let wordIndex = Dictionary(uniqueKeysWithValues: pairs.map { ($0[0] as! String, $0[1] as! Int) })
            #expect(tokenizer.wordIndex == wordIndex, "\(name)")
            let counts = try #require(item["word_counts"] as? [[Any]])
            #expect(tokenizer.wordCounts.map(\.word) == counts.map { $0[0] as! String }, "\(name)")
            #expect(tokenizer.wordCounts.map(\.count) == counts.map { $0[1] as! Int }, "\(name)")
            let sequences = try #require(item["sequences"] as? [[Int]])
            #expect(tokenizer.textsToSequences(try #require(item["texts"] as? [String])) == sequences, "\(name)")
        }
    }

    // MARK: IMDB

    /// Six reviews: the first three are the training half. Training ranks: the 1, bad 2,
    /// movie 3, was 4, great 5, end 6, 10 7, fun 8, don't 9, watch 10, this 11, plot 12,
    /// éclair 13, café 14, movie's 15, br 16; "zebra" and "s" occur only in the test half.
    let smallIMDB = """
        1\tThe movie was GREAT.<br /><br />Great fun, the end.
        0\tDon't watch this MOVIE: the plot was bad, bad, bad!
        1\tÉCLAIR café, 10/10 - the movie's end<BR />br
        0\tThe zebra was bad.
        1\tgreat great great
        0\tFun\u{2019}s end

        """

    @Test func imdbTokenizesRanksAndMapsLikeKeras() throws {
        let dir = try temporaryDirectory()
        try write(smallIMDB, to: dir + "/" + IMDB.fileName, gzip: true)
        let ((xTrain, yTrain), (xTest, yTest)) = try IMDB.loadData(directory: dir)
        // numWords nil: the largest id (19, "br") becomes oovChar, as in Keras.
        #expect(xTrain == [[1, 4, 6, 7, 8, 8, 11, 4, 9], [1, 12, 13, 14, 6, 4, 15, 7, 5, 5, 5], [1, 16, 17, 10, 10, 4, 18, 9, 2]])
        #expect(xTest == [[1, 4, 2, 7, 5], [1, 8, 8, 8], [1, 11, 2, 9]])
        #expect(yTrain.shape == [3] && yTrain.scalars == [1, 0, 1])
        #expect(yTest.scalars == [0, 1, 0])

        let wordIndex = try IMDB.getWordIndex(directory: dir)
        #expect(wordIndex.count == 16 && wordIndex["zebra"] == nil)
        #expect(wordIndex["the"] == 1 && wordIndex["bad"] == 2 && wordIndex["movie"] == 3 && wordIndex["10"] == 7)
        #expect(wordIndex["fun"] == 8 && wordIndex["éclair"] == 13 && wordIndex["movie's"] == 15 && wordIndex["br"] == 16)

        #expect(try IMDB.loadTexts(directory: dir).first == "The movie was GREAT.<br /><br />Great fun, the end.")
        // Raw texts with their labels, split as loadData splits them.
        let ((trainTexts, trainLabels), (testTexts, testLabels)) = try IMDB.loadTextData(directory: dir)
        #expect(trainTexts == Array(try IMDB.loadTexts(directory: dir).prefix(3)) && testTexts.count == 3)
        #expect(trainLabels.scalars == yTrain.scalars && testLabels.scalars == yTest.scalars)
    }

    @Test func imdbNumWordsSkipTopMaxlenAndOffsets() throws {
        let dir = try temporaryDirectory()
        try write(smallIMDB, to: dir + "/" + IMDB.fileName)
        // Ids outside 5..<10 become 2, the start mark included (Keras does the same).
        let ((capped, _), _) = try IMDB.loadData(directory: dir, numWords: 10, skipTop: 5)
        #expect(capped[0] == [2, 2, 6, 7, 8, 8, 2, 2, 9])

        // Keras keeps reviews with fewer than maxlen ids: 9 ids pass maxlen 10, not maxlen 9.
        let ((shortTrain, shortLabels), (shortTest, _)) = try IMDB.loadData(directory: dir, maxlen: 10)
        #expect(shortTrain.map(\.count) == [9, 9] && shortLabels.scalars == [1, 1] && shortTest.count == 3)
        let tooShort = message { _ = try IMDB.loadData(directory: dir, maxlen: 9) }
        #expect(tooShort.contains("maxlen=9"))

        let ((plain, _), _) = try IMDB.loadData(directory: dir, startChar: nil, oovChar: 0, indexFrom: 0)
        #expect(plain[0] == [1, 3, 4, 5, 5, 8, 1, 6])
        #expect(message { _ = try IMDB.loadData(directory: dir, numWords: 0) }.contains("num_words"))
    }

    /// The one test on the whole bundled file (about 5 s in a debug build).
    @Test func bundledIMDBHasKerasShapesAndREADMECounts() throws {
        let ((xTrain, yTrain), (xTest, yTest)) = try IMDB.loadData(numWords: 10000)
        #expect(xTrain.count == 25000 && xTest.count == 25000)
        #expect(yTrain.shape == [25000] && yTest.shape == [25000])
        #expect(yTrain.scalars.reduce(0, +) == 12474 && yTest.scalars.reduce(0, +) == 12526)
        // "One of the other reviewers has mentioned ...": the start mark, then "one", "of",
        // "the" (rank 1, id 4), "other".
        #expect(Array(xTrain[0].prefix(5)) == [1, 29, 7, 4, 79])
        #expect((xTrain + xTest).allSatisfy { $0.allSatisfy { 1 <= $0 && $0 < 10000 } })
    }

    // MARK: SentencePolarity

    @Test func sentencePolaritySplitsDeterministically() throws {
        let ((xTrain, yTrain), (xTest, yTest)) = try SentencePolarity.loadData()
        #expect(xTrain.count == 3200 && xTest.count == 800)
        #expect(yTrain.shape == [3200] && yTest.shape == [800])
        let positives = yTrain.scalars.reduce(0, +) + yTest.scalars.reduce(0, +)
        #expect(positives == 2000)
        #expect((1500...1700).contains(yTrain.scalars.reduce(0, +)))
        #expect(Set(xTrain + xTest).count == 4000)
        let labelOf = Dictionary(uniqueKeysWithValues: zip(xTrain + xTest, yTrain.scalars + yTest.scalars))
        #expect(labelOf["simplistic , silly and tedious ."] == 0)

        let ((again, _), _) = try SentencePolarity.loadData()
        #expect(again == xTrain)
        let ((otherSeed, _), _) = try SentencePolarity.loadData(seed: 7)
        #expect(otherSeed.count == 3200 && otherSeed != xTrain)
        let ((half, _), (otherHalf, _)) = try SentencePolarity.loadData(testFraction: 0.5)
        #expect(half.count == 2000 && otherHalf.count == 2000)
        #expect(message { _ = try SentencePolarity.loadData(testFraction: 1.5) }.contains("testFraction"))
    }

    // MARK: Errors

    @Test func missingCorruptAndMalformedFilesNameFileAndLine() throws {
        let dir = try temporaryDirectory()
        let imdbPath = dir + "/" + IMDB.fileName, polarityPath = dir + "/" + SentencePolarity.fileName
        let missing = message { _ = try IMDB.loadData(directory: dir) }
        #expect(missing.contains(imdbPath) && missing.contains("not found"))
        #expect(message { _ = try SentencePolarity.loadData(directory: dir) }.contains(polarityPath))

        try write("1\tgood\n0 no tab here\n", to: imdbPath)
        let noTab = message { _ = try IMDB.loadData(directory: dir) }
        #expect(noTab.contains(imdbPath) && noTab.contains("line 2") && noTab.contains("tab"))

        try write("1\tgood\n0\tbad\n2\tneutral\n", to: polarityPath, gzip: true)
        let badLabel = message { _ = try SentencePolarity.loadData(directory: dir) }
        #expect(badLabel.contains(polarityPath) && badLabel.contains("line 3") && badLabel.contains("\"2\" is not 0 or 1"))

        try write("", to: polarityPath)
        #expect(message { _ = try SentencePolarity.loadData(directory: dir) }.contains("no labelled lines"))

        // Damaged deflate data fails to decode or fails the gzip CRC check.
        try write(String(repeating: smallIMDB, count: 50), to: imdbPath, gzip: true)
        var gzip = try Data(contentsOf: URL(fileURLWithPath: imdbPath))
        gzip.replaceSubrange(20..<40, with: [UInt8](repeating: 0xFF, count: 20))
        try gzip.write(to: URL(fileURLWithPath: imdbPath))
        let corrupt = message { _ = try IMDB.getWordIndex(directory: dir) }
        #expect(corrupt.contains(imdbPath) && corrupt.contains("gzip"))
    }
}
