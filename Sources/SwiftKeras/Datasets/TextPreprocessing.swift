/// Which end of a sequence `padSequences` pads or truncates.
public enum PaddingSide: String, Sendable {
    case pre, post
}

/// Pads (or truncates) integer sequences to a common length, as Keras's `pad_sequences`:
/// (N, maxlen) Floats.
///
/// - maxlen: the output length; nil means the longest sequence's length.
/// - padding: `.pre` puts `value` before each sequence, `.post` after it.
/// - truncating: `.pre` drops values from the start of sequences longer than maxlen,
///   `.post` from the end.
/// - value: what fills the padding; an empty sequence becomes a row of `value`.
public func padSequences(_ sequences: [[Int]], maxlen: Int? = nil, padding: PaddingSide = .pre,
                         truncating: PaddingSide = .pre, value: Float = 0) throws -> Tensor {
    if let maxlen, maxlen <= 0 {
        throw KerasError.invalidArgument("pad_sequences: maxlen must be positive, received \(maxlen)")
    }
    let width = maxlen ?? sequences.map(\.count).max() ?? 0
    try checkAllocation([sequences.count, width], for: "pad_sequences (maxlen=\(width))")
    let out = Tensor(repeating: value, shape: [sequences.count, width])
    let p = out.storage.pointer
    for (row, sequence) in sequences.enumerated() {
        let kept = sequence.count <= width ? sequence[...]
            : truncating == .pre ? sequence.suffix(width) : sequence.prefix(width)
        let start = row * width + (padding == .pre ? width - kept.count : 0)
        for (offset, id) in kept.enumerated() { p[start + offset] = Float(id) }
    }
    return out
}

/// Keras's (Keras 1) `Tokenizer`: builds a word index from texts, ranked by frequency, and
/// turns texts into sequences of word indices and back.
///
/// Texts are split as Keras's `text_to_word_sequence`: lowercased (when `lower`), every
/// character of `filters` replaced by `split`, split on `split`, empty tokens dropped.
/// Characters are Unicode scalars, as Python's string characters are.
public final class Tokenizer {
    /// Keras's default filters: ASCII punctuation (except the apostrophe), tab and newline.
    public static let defaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"

    /// Only words with an index below numWords are used by `textsToSequences` and
    /// `sequencesToTexts` (nil or 0: all, as in Keras); the index itself keeps every word.
    public let numWords: Int?
    public let filters: String
    public let lower: Bool
    public let split: String
    /// When set, it takes index 1 and stands for words that are unknown or beyond numWords.
    public let oovToken: String?

    /// Word → index from 1, most frequent first (ties in order of first appearance).
    public private(set) var wordIndex: [String: Int] = [:]
    /// Index → word, the inverse of `wordIndex`.
    public private(set) var indexWord: [Int: String] = [:]
    /// How often each word occurred in the fitted texts, in order of first appearance
    /// (Keras's `word_counts` OrderedDict).
    public private(set) var wordCounts: [(word: String, count: Int)] = []

    /// Where each word sits in `wordCounts`.
    private var countPosition: [String: Int] = [:]
    private let filterScalars: Set<Unicode.Scalar>

    public init(numWords: Int? = nil, filters: String = Tokenizer.defaultFilters, lower: Bool = true,
                split: String = " ", oovToken: String? = nil) throws {
        guard !split.isEmpty else {
            throw KerasError.invalidArgument("Tokenizer: split must not be empty (Python's str.split rejects an empty separator too)")
        }
        self.numWords = numWords
        self.filters = filters
        self.lower = lower
        self.split = split
        self.oovToken = oovToken
        filterScalars = Set(filters.unicodeScalars)
    }

    /// Adds the texts' words to the counts and rebuilds the index; repeated calls accumulate.
    public func fitOnTexts(_ texts: [String]) {
        for text in texts {
            for word in words(text) {
                if let position = countPosition[word] {
                    wordCounts[position].count += 1
                } else {
                    countPosition[word] = wordCounts.count
                    wordCounts.append((word, 1))
                }
            }
        }
        // Count descending, ties in order of first appearance (Keras's stable sort).
        let ranked = wordCounts.indices.sorted { a, b in
            wordCounts[a].count != wordCounts[b].count ? wordCounts[a].count > wordCounts[b].count : a < b
        }.map { wordCounts[$0].word }
        // Assigned one by one like Keras's dict(zip(...)): an oovToken that also occurs in
        // the texts ends up with its later index.
        wordIndex = [:]
        for (i, word) in ((oovToken.map { [$0] } ?? []) + ranked).enumerated() { wordIndex[word] = i + 1 }
        indexWord = Dictionary(uniqueKeysWithValues: wordIndex.map { ($1, $0) })
    }

    /// Each text as word indices: unknown words and words at or beyond numWords are dropped,
    /// or become the oovToken's index when there is one.
    public func textsToSequences(_ texts: [String]) -> [[Int]] {
        let oovIndex = oovToken.flatMap { wordIndex[$0] }
        return texts.map { text in
            words(text).compactMap { word in
                guard let i = wordIndex[word] else { return oovIndex }
                return isBeyondNumWords(i) ? oovIndex : i
            }
        }
    }

    /// Each sequence as its words joined by spaces, with the same rules as `textsToSequences`
    /// for unknown indices and indices at or beyond numWords.
    public func sequencesToTexts(_ sequences: [[Int]]) -> [String] {
        let oovWord = oovToken.flatMap { wordIndex[$0] }.flatMap { indexWord[$0] }
        return sequences.map { sequence in
            sequence.compactMap { i in
                guard let word = indexWord[i] else { return oovWord }
                return isBeyondNumWords(i) ? oovWord : word
            }.joined(separator: " ")
        }
    }

    private func isBeyondNumWords(_ index: Int) -> Bool {
        guard let numWords, numWords != 0 else { return false }
        return index >= numWords
    }

    /// Keras's `text_to_word_sequence` with this tokenizer's settings.
    func words(_ text: String) -> [String] {
        let separator = Array(split.unicodeScalars)
        var scalars: [Unicode.Scalar] = []
        for scalar in (lower ? text.lowercased() : text).unicodeScalars {
            if filterScalars.contains(scalar) { scalars += separator } else { scalars.append(scalar) }
        }
        var words: [String] = []
        var start = 0, i = 0
        func endWord(at end: Int) {
            if end > start { words.append(String(String.UnicodeScalarView(scalars[start..<end]))) }
        }
        while i + separator.count <= scalars.count {
            if scalars[i..<(i + separator.count)].elementsEqual(separator) {
                endWord(at: i)
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        endWord(at: scalars.count)
        return words
    }
}
