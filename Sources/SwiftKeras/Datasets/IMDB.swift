import Glibc

/// The IMDB movie reviews (Maas et al. 2011) bundled with SwiftKeras, as word-id sequences in
/// the manner of Keras's `imdb.load_data()`.
///
/// The bundled file holds the 50,000 labelled reviews as raw text, so the word index is built
/// here and does not match Keras's `imdb_word_index.json`. A review is tokenized by
/// lowercasing it, replacing each `<br />` by a space, and splitting it on every character
/// that is not a letter (any Unicode letter), a decimal digit or the ASCII apostrophe `'`;
/// empty tokens are dropped. So "Don't" is one word, while "don´t" and "don’t" are two.
/// The first half of the rows (rows 1-25,000 of the bundled file) is the training set, the
/// second half the test set. Words are ranked by their frequency in the training rows, ties
/// in order of first appearance there.
public enum IMDB {
    /// Where the bundled `imdb_reviews_50k.tsv.gz` lives in a checkout of this package.
    public static var bundledDirectory: String { datasetsDirectory(#filePath) + "/text" }

    /// The file read from the data directory: `<label>\t<review>` lines, label 1 = positive.
    public static let fileName = "imdb_reviews_50k.tsv.gz"

    /// ((xTrain, yTrain), (xTest, yTest)): reviews as word ids with Keras's conventions, labels
    /// (N) as Floats 0/1. The bundled data gives 25,000 reviews on each side.
    ///
    /// A word of rank r (see `getWordIndex`) has id r + indexFrom; ids below indexFrom are left
    /// free for padding (0), the start mark and out-of-vocabulary words. Words that occur only
    /// in the test rows have no rank and get oovChar. Then, as in Keras, in this order:
    /// - startChar, when set, is put in front of every review;
    /// - maxlen keeps only the reviews with fewer than maxlen ids (start mark included), on
    ///   each side separately;
    /// - every id outside skipTop..<numWords becomes oovChar. This includes the start mark
    ///   when skipTop is above it. numWords nil means the largest id present, which Keras (and
    ///   so this loader) then also turns into oovChar.
    ///
    /// numWords and maxlen must be positive when given (Keras reads 0 as "no limit").
    ///
    /// - directory: a folder with `imdb_reviews_50k.tsv.gz`; defaults to
    ///   $SWIFTKERAS_DATASETS/text when set, else the bundled copy.
    public static func loadData(directory: String? = nil, numWords: Int? = nil, skipTop: Int = 0, maxlen: Int? = nil,
                                startChar: Int? = 1, oovChar: Int = 2, indexFrom: Int = 3) throws
        -> (([[Int]], Tensor), ([[Int]], Tensor)) {
        for (name, value) in [("num_words", numWords), ("maxlen", maxlen)] {
            if let value, value <= 0 {
                throw KerasError.invalidArgument("imdb.load_data: \(name) must be positive, received \(value)")
            }
        }
        // Ranks are Int32: any index_from up to this keeps rank + index_from within Int.
        guard indexFrom <= Int.max - Int(Int32.max) else {
            throw KerasError.invalidArgument("imdb.load_data: index_from must be at most \(Int.max - Int(Int32.max)), received \(indexFrom)")
        }
        let corpus = try Corpus(path: path(directory))
        func id(_ rank: Int32) -> Int { rank == 0 ? oovChar : Int(rank) + indexFrom }

        let prefix = startChar == nil ? 0 : 1
        let kept = corpus.rows.filter { row in maxlen.map { corpus.tokens(row).count + prefix < $0 } ?? true }
        let trainKept = kept.prefix { $0 < corpus.trainCount }.count
        if let maxlen, trainKept == 0 || trainKept == kept.count {
            throw KerasError.invalidArgument(
                "imdb.load_data: no \(trainKept == 0 ? "training" : "test") review is shorter than maxlen=\(maxlen); increase maxlen")
        }
        let limit = numWords ?? kept.reduce(startChar ?? Int.min) { largest, row in
            corpus.tokens(row).reduce(largest) { Swift.max($0, id($1)) }
        }
        let sequences = kept.map { row in
            var sequence: [Int] = []
            sequence.reserveCapacity(corpus.tokens(row).count + prefix)
            if let startChar { sequence.append(startChar) }
            for rank in corpus.tokens(row) { sequence.append(id(rank)) }
            for i in sequence.indices where !(skipTop <= sequence[i] && sequence[i] < limit) { sequence[i] = oovChar }
            return sequence
        }
        let labels = kept.map { corpus.labels[$0] }
        return ((Array(sequences[..<trainKept]), Tensor(Array(labels[..<trainKept]))),
                (Array(sequences[trainKept...]), Tensor(Array(labels[trainKept...]))))
    }

    /// Word → frequency rank in the training rows, from 1 (Keras's `imdb.get_word_index()`).
    /// Sequences from `loadData` hold rank + indexFrom.
    public static func getWordIndex(directory: String? = nil) throws -> [String: Int] {
        let corpus = try Corpus(path: path(directory))
        // Distinct byte strings can still be equal Strings (canonically equivalent ones);
        // such a word keeps its better rank.
        return Dictionary(
            corpus.ranked.enumerated().map { (corpus.words.word($1), $0 + 1) },
            uniquingKeysWith: { better, _ in better })
    }

    /// The reviews as raw text in file order (training half first), case and `<br />`
    /// untouched: for character-level models, which need no word index.
    public static func loadTexts(directory: String? = nil) throws -> [String] {
        let path = path(directory)
        let bytes = try readPossiblyGzippedFile(path)
        return try labelledLines(bytes, path: path).map { String(decoding: bytes[$0.text], as: UTF8.self) }
    }

    /// ((trainTexts, yTrain), (testTexts, yTest)): the reviews as raw text with their labels
    /// (Floats 0/1), split as `loadData` splits them: what Keras's
    /// `text_dataset_from_directory("aclImdb/train")` and `("aclImdb/test")` give, for models
    /// that learn their own vocabulary (`TextVectorization.adapt`).
    public static func loadTextData(directory: String? = nil) throws -> (([String], Tensor), ([String], Tensor)) {
        let path = path(directory)
        let bytes = try readPossiblyGzippedFile(path)
        let lines = try labelledLines(bytes, path: path)
        let trainCount = lines.count / 2
        func side(_ range: Range<Int>) -> ([String], Tensor) {
            (lines[range].map { String(decoding: bytes[$0.text], as: UTF8.self) }, Tensor(lines[range].map(\.label)))
        }
        return (side(0..<trainCount), side(trainCount..<lines.count))
    }

    private static func path(_ directory: String?) -> String {
        (directory ?? environmentDirectory("text") ?? bundledDirectory) + "/" + fileName
    }
}

/// The reviews of one file, tokenized, with words numbered by training-set rank.
private struct Corpus {
    let labels: [Float]
    let trainCount: Int
    /// Rank of every token of every review, review after review; 0 for words without a rank.
    let ranks: [Int32]
    /// Where each review's tokens end in `ranks`.
    let ends: [Int]
    let words: WordTable
    /// Word ids (of `words`) by rank: ranked[0] is the most frequent training word.
    let ranked: [Int]

    var rows: Range<Int> { 0..<ends.count }

    func tokens(_ row: Int) -> ArraySlice<Int32> { ranks[(row == 0 ? 0 : ends[row - 1])..<ends[row]] }

    init(path: String) throws {
        let bytes = try readPossiblyGzippedFile(path)
        let lines = try labelledLines(bytes, path: path)
        trainCount = lines.count / 2
        labels = lines.map(\.label)
        // Word ids (first-seen order) first; ranks replace them once the counts are known.
        var ids: [Int32] = [], ends: [Int] = [], words = WordTable()
        ends.reserveCapacity(lines.count)
        var tokenizer = ReviewTokenizer()
        bytes.withUnsafeBufferPointer { buffer in
            for line in lines {
                tokenizer.tokenize(UnsafeBufferPointer(rebasing: buffer[line.text]), words: &words, into: &ids)
                ends.append(ids.count)
            }
        }
        var counts = [Int](repeating: 0, count: words.count)
        for id in ids[..<(trainCount == 0 ? 0 : ends[trainCount - 1])] { counts[Int(id)] += 1 }
        // Ids are in order of first appearance, which breaks ties.
        let ranked = (0..<words.count).filter { counts[$0] > 0 }.sorted { a, b in
            counts[a] != counts[b] ? counts[a] > counts[b] : a < b
        }
        var rankOf = [Int32](repeating: 0, count: words.count)
        for (rank, id) in ranked.enumerated() { rankOf[id] = Int32(rank + 1) }
        for i in ids.indices { ids[i] = rankOf[Int(ids[i])] }
        (ranks, self.ends, self.words, self.ranked) = (ids, ends, words, ranked)
    }
}

/// Splits review text (UTF-8 bytes) into words, see `IMDB`. ASCII is handled byte by byte;
/// only non-ASCII scalars go through Unicode properties and lowercase mappings.
private struct ReviewTokenizer {
    /// The current word's lowercased bytes.
    private var word: [UInt8] = []
    /// For ASCII bytes: the lowercased byte when it belongs to words, else 0.
    private static let asciiWordByte: [UInt8] = (0..<128).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "'"): UInt8(b)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(b) + 32
        default: 0
        }
    }
    private static let lineBreak = Array("<br />".utf8)

    /// Appends the text's word ids (of `words`, which learns new words) to ids.
    mutating func tokenize(_ text: UnsafeBufferPointer<UInt8>, words: inout WordTable, into ids: inout [Int32]) {
        let table = Self.asciiWordByte
        word.removeAll(keepingCapacity: true)
        func endWord() {
            guard !word.isEmpty else { return }
            ids.append(Int32(word.withUnsafeBufferPointer { words.id(of: $0) }))
            word.removeAll(keepingCapacity: true)
        }
        var i = 0
        while i < text.count {
            let byte = text[i]
            if byte < 0x80 {
                let lowered = table[Int(byte)]
                if lowered != 0 {
                    word.append(lowered)
                } else {
                    endWord()
                    if byte == UInt8(ascii: "<") && isLineBreak(text, at: i) { i += Self.lineBreak.count; continue }
                }
                i += 1
                continue
            }
            let (scalar, length) = decodeScalar(text, at: i)
            i += length
            // Lowercasing comes before splitting, so the lowercase mapping decides.
            for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                if lowered.isASCII {
                    let b = table[Int(lowered.value)]
                    if b != 0 { word.append(b) } else { endWord() }
                } else if Self.isWordScalar(lowered) {
                    word.append(contentsOf: UTF8.encode(lowered)!)
                } else {
                    endWord()
                }
            }
        }
        endWord()
    }

    /// "<br />" at i, in any case (the text is lowercased before the replacement).
    private func isLineBreak(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + Self.lineBreak.count <= text.count else { return false }
        for (k, expected) in Self.lineBreak.enumerated() {
            let b = text[i + k]
            if b != expected && !(b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") && b + 32 == expected) { return false }
        }
        return true
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: true
        default: false
        }
    }

    /// The scalar starting at i and its length in bytes; invalid UTF-8 gives U+FFFD for one byte.
    private func decodeScalar(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let lead = text[i]
        let (length, minimum): (Int, UInt32) = lead >= 0xF0 ? (4, 0x10000) : lead >= 0xE0 ? (3, 0x800) : (2, 0x80)
        var value = UInt32(lead) & (0x7F >> length)
        if lead >= 0xC0 && lead < 0xF8 && i + length <= text.count {
            for k in 1..<length {
                let b = text[i + k]
                guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
                value = value << 6 | UInt32(b & 0x3F)
            }
            if value >= minimum, let scalar = Unicode.Scalar(value) { return (scalar, length) }
        }
        return ("\u{FFFD}", 1)
    }
}

/// Distinct words as byte strings, numbered from 0 in order of first sight, found through an
/// open-addressing hash table so that no String is made per token.
private struct WordTable {
    private var bytes: [UInt8] = []
    /// Word i is bytes[ends[i - 1]..<ends[i]] (from 0 for i = 0).
    private var ends: [Int] = []
    private var hashes: [UInt64] = []
    /// Word ids, -1 for empty slots; at most half full.
    private var slots = [Int32](repeating: -1, count: 1 << 16)

    var count: Int { ends.count }

    func word(_ id: Int) -> String {
        String(decoding: bytes[(id == 0 ? 0 : ends[id - 1])..<ends[id]], as: UTF8.self)
    }

    /// The id of the word, adding it when new.
    mutating func id(of word: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for b in word { hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3 }
        var slot = slotIndex(hash)
        while slots[slot] >= 0 {
            let id = Int(slots[slot])
            if hashes[id] == hash && matches(id, word) { return id }
            slot = (slot + 1) & (slots.count - 1)
        }
        let id = count
        slots[slot] = Int32(id)
        bytes.append(contentsOf: word)
        ends.append(bytes.count)
        hashes.append(hash)
        if 2 * count > slots.count { grow() }
        return id
    }

    private func slotIndex(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash ^ hash >> 32) & (slots.count - 1) }

    private func matches(_ id: Int, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = id == 0 ? 0 : ends[id - 1]
        guard ends[id] - start == word.count else { return false }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, word.baseAddress!, word.count) == 0 }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: 2 * slots.count)
        for (id, hash) in hashes.enumerated() {
            var slot = slotIndex(hash)
            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Int32(id)
        }
    }
}

/// The `<label>\t<text>` lines of a labelled TSV file, label 0 or 1: labels and the byte
/// ranges of the texts. Errors name the file and the 1-based line.
func labelledLines(_ bytes: [UInt8], path: String) throws -> [(label: Float, text: Range<Int>)] {
    var lines: [(label: Float, text: Range<Int>)] = []
    try bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        var start = 0
        while start < buffer.count {
            let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
            let end = newline.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? buffer.count
            let line = buffer[start..<end]
            let number = lines.count + 1
            guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else {
                throw KerasError.fileError(path: path, message: "line \(number): no tab between label and text")
            }
            let label: Float
            switch bytes[start..<tab] {
            case [UInt8(ascii: "0")]: label = 0
            case [UInt8(ascii: "1")]: label = 1
            case let field:
                throw KerasError.fileError(
                    path: path, message: "line \(number): label \"\(String(decoding: field.prefix(20), as: UTF8.self))\" is not 0 or 1")
            }
            lines.append((label, (tab + 1)..<end))
            start = end + 1
        }
    }
    guard !lines.isEmpty else { throw KerasError.fileError(path: path, message: "no labelled lines") }
    return lines
}
