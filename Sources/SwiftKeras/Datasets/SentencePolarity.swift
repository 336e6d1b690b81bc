/// Rotten Tomatoes sentence polarity (Pang & Lee 2005, 2,000 positive and 2,000 negative
/// snippets) bundled with SwiftKeras: short, already lowercased and tokenized sentences for
/// quick text-classification runs.
public enum SentencePolarity {
    /// Where the bundled `rt_polarity_sentences_4k.tsv.gz` lives in a checkout of this package.
    public static var bundledDirectory: String { datasetsDirectory(#filePath) + "/text" }

    /// The file read from the data directory: `<label>\t<sentence>` lines, label 1 = positive.
    public static let fileName = "rt_polarity_sentences_4k.tsv.gz"

    /// ((xTrain, yTrain), (xTest, yTest)): sentences and their labels (N) as Floats 0/1.
    ///
    /// The file lists all positive sentences first, so the rows are shuffled with
    /// `RandomGenerator(seed:)` before the split: the last round(count × testFraction)
    /// shuffled rows are the test set (800 of 4,000 by default), the others the training set.
    /// The same seed always gives the same split.
    ///
    /// - directory: a folder with `rt_polarity_sentences_4k.tsv.gz`; defaults to
    ///   $SWIFTKERAS_DATASETS/text when set, else the bundled copy.
    public static func loadData(directory: String? = nil, testFraction: Double = 0.2, seed: UInt64 = 113) throws
        -> (([String], Tensor), ([String], Tensor)) {
        guard testFraction >= 0 && testFraction <= 1 else {
            throw KerasError.invalidArgument("SentencePolarity.loadData: testFraction must be in [0, 1], received \(testFraction)")
        }
        let path = (directory ?? environmentDirectory("text") ?? bundledDirectory) + "/" + fileName
        let bytes = try readPossiblyGzippedFile(path)
        let lines = try labelledLines(bytes, path: path)
        var order = Array(lines.indices)
        var rng = RandomGenerator(seed: seed)
        order.shuffle(using: &rng)
        let trainCount = lines.count - Int((Double(lines.count) * testFraction).rounded())
        func side(_ rows: ArraySlice<Int>) -> ([String], Tensor) {
            (rows.map { String(decoding: bytes[lines[$0].text], as: UTF8.self) }, Tensor(rows.map { lines[$0].label }))
        }
        return (side(order[..<trainCount]), side(order[trainCount...]))
    }
}
