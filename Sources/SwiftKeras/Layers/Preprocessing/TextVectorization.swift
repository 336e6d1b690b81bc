import Glibc

/// Turns texts into token ids or token counts (Keras's `TextVectorization`): each text is
/// standardized, split into tokens, optionally joined into n-grams, and looked up in a
/// vocabulary learned by `adapt` or given.
///
/// Tensors hold numbers, so this layer works on `[String]` batches in the data pipeline
/// (`dataset.map { x, y in (try vectorize(x), y) }`), where Keras users usually put it too;
/// it is a `Layer` for its name and configuration, and calling it on a tensor inside a model
/// throws.
///
/// Keras's conventions, checked against Keras 3:
/// - standardize `.lowerAndStripPunctuation` lowercases ASCII letters (TensorFlow's
///   `strings.lower`) and deletes ASCII punctuation ``!"#$%&()*+,-./:;<=>?@[\]^_`{|}~'``;
/// - split `.whitespace` splits on runs of ASCII whitespace, `.character` into Unicode scalars;
/// - `adapt` ranks tokens by count, ties broken by the reverse byte order of the tokens, and
///   keeps `maxTokens` entries including the special ones;
/// - output `.int`: index 0 is padding (""), 1 is "[UNK]" for tokens not in the vocabulary,
///   rows padded with 0 or cut to `outputSequenceLength` (without it, to the batch's longest);
///   `.multiHot`, `.count` and `.tfIdf`: one column per vocabulary entry, "[UNK]" first.
public final class TextVectorization: Layer {
    public enum Standardize: Sendable {
        case lowerAndStripPunctuation, lower, stripPunctuation
        case custom(@Sendable (String) -> String)
    }

    public enum Split: Sendable {
        case whitespace, character
        case custom(@Sendable (String) -> [String])
    }

    public enum OutputMode: String, Sendable {
        case int, multiHot = "multi_hot", count, tfIdf = "tf_idf"
    }

    public let maxTokens: Int?
    public let standardize: Standardize?
    public let split: Split?
    /// N-gram widths: 1...ngrams when given (Keras's integer `ngrams`).
    public let ngrams: Int?
    public let outputMode: OutputMode
    public let outputSequenceLength: Int?
    public let padToMaxTokens: Bool

    /// Learned or given tokens, without the special entries.
    private var tokens: [String] = []
    private var index: [String: Int] = [:]
    /// tf-idf weights per output column ("[UNK]" first).
    private var idfWeights: [Float] = []
    /// The vocabulary and weights given to the initializer (Keras keeps them in the config;
    /// an adapted vocabulary is state, not config).
    private var givenVocabulary: [String]?
    private var givenIdfWeights: [Float]?

    public static let oovToken = "[UNK]"

    public init(maxTokens: Int? = nil, standardize: Standardize? = .lowerAndStripPunctuation, split: Split? = .whitespace,
                ngrams: Int? = nil, outputMode: OutputMode = .int, outputSequenceLength: Int? = nil, padToMaxTokens: Bool = false,
                vocabulary: [String]? = nil, idfWeights: [Float]? = nil, name: String? = nil) throws {
        self.maxTokens = maxTokens
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.outputMode = outputMode
        self.outputSequenceLength = outputSequenceLength
        self.padToMaxTokens = padToMaxTokens
        super.init(name: name)
        if let maxTokens, maxTokens < (outputMode == .int ? 3 : 2) {
            throw KerasError.invalidArgument("TextVectorization \"\(self.name)\": max_tokens must leave room for the special tokens and one more, received \(maxTokens)")
        }
        if let ngrams, ngrams < 1 { throw KerasError.invalidArgument("TextVectorization \"\(self.name)\": ngrams must be positive, received \(ngrams)") }
        if outputMode != .int, outputSequenceLength != nil {
            throw KerasError.invalidArgument(
                "TextVectorization \"\(self.name)\": output_sequence_length must not be set if output_mode is not 'int'. Received output_sequence_length=\(outputSequenceLength!).")
        }
        if let outputSequenceLength, outputSequenceLength < 1 {
            throw KerasError.invalidArgument("TextVectorization \"\(self.name)\": output_sequence_length must be positive, received \(outputSequenceLength)")
        }
        if let vocabulary { try setVocabulary(vocabulary, idfWeights: idfWeights) }
        givenVocabulary = vocabulary
        givenIdfWeights = idfWeights
    }

    /// Entries before the learned tokens: "" and "[UNK]" for int output, "[UNK]" otherwise.
    private var specialTokens: [String] { outputMode == .int ? ["", Self.oovToken] : [Self.oovToken] }

    /// The vocabulary in index order, special entries first unless left out.
    public func getVocabulary(includeSpecialTokens: Bool = true) -> [String] {
        (includeSpecialTokens ? specialTokens : []) + tokens
    }

    public func vocabularySize() -> Int { specialTokens.count + tokens.count }

    /// Sets the vocabulary (with or without the special entries at its start); tf-idf output
    /// needs one weight per entry.
    public func setVocabulary(_ vocabulary: [String], idfWeights weights: [Float]? = nil) throws {
        let special = specialTokens
        let given = Array(vocabulary.prefix(special.count)) == special ? Array(vocabulary.dropFirst(special.count)) : vocabulary
        guard !vocabulary.isEmpty else { throw KerasError.invalidArgument("TextVectorization \"\(name)\": cannot set an empty vocabulary") }
        var seen = Set<String>()
        for token in given where !seen.insert(token).inserted || special.contains(token) {
            throw KerasError.invalidArgument(
                special.contains(token) ? "TextVectorization \"\(name)\": found the reserved token \"\(token)\" at an unexpected place in the vocabulary"
                    : "TextVectorization \"\(name)\": the vocabulary has a repeated term: \"\(token)\"")
        }
        if let maxTokens, special.count + given.count > maxTokens {
            throw KerasError.invalidArgument(
                "TextVectorization \"\(name)\": attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is \(special.count + given.count); max_tokens is \(maxTokens).")
        }
        if outputMode == .tfIdf {
            guard let weights, weights.count == vocabulary.count else {
                throw KerasError.invalidArgument("TextVectorization \"\(name)\": tf_idf output needs idf_weights of the vocabulary's length \(vocabulary.count)")
            }
            let mean = weights.reduce(0, +) / Float(weights.count)
            idfWeights = given.count == vocabulary.count ? [mean] + weights : weights
        } else if weights != nil {
            throw KerasError.invalidArgument("TextVectorization \"\(name)\": idf_weights should only be set if output_mode is 'tf_idf'")
        }
        tokens = given
        index = Dictionary(uniqueKeysWithValues: given.enumerated().map { ($1, $0 + special.count) })
    }

    /// Learns the vocabulary (and tf-idf weights) from texts.
    public func adapt(_ texts: [String]) throws { try adapt(batches: [texts]) }

    /// Learns the vocabulary from a dataset of text batches.
    public func adapt(_ data: Dataset<[String]>) throws {
        let iterator = try data.makeIterator()
        defer { iterator.close() }
        var batches: [[String]] = []
        while let batch = try iterator.next() { batches.append(batch) }
        try adapt(batches: batches)
    }

    /// Learns the vocabulary from the texts of a dataset of (texts, labels) batches.
    public func adapt(_ data: Dataset<([String], Tensor)>) throws { try adapt(data.map(\.0)) }

    private func adapt<S: Sequence<[String]>>(batches: S) throws {
        var counts: [String: Int] = [:], documents: [String: Int] = [:]
        var documentCount = 0
        for batch in batches {
            for text in batch {
                let grams = tokenize(text)
                for token in grams { counts[token, default: 0] += 1 }
                if outputMode == .tfIdf { for token in Set(grams) { documents[token, default: 0] += 1 } }
                documentCount += 1
            }
        }
        counts[""] = nil
        counts[Self.oovToken] = nil
        // Count descending, ties by the tokens' bytes descending: Keras's lexsort reversed.
        var ranked = counts.sorted { a, b in
            a.value != b.value ? a.value > b.value : b.key.utf8.lexicographicallyPrecedes(a.key.utf8)
        }.map(\.key)
        if let maxTokens { ranked = Array(ranked.prefix(maxTokens - specialTokens.count)) }
        tokens = ranked
        index = Dictionary(uniqueKeysWithValues: ranked.enumerated().map { ($1, $0 + specialTokens.count) })
        if outputMode == .tfIdf {
            let weights = ranked.map { Float(Glibc.log(1 + Double(documentCount) / (1 + Double(documents[$0] ?? 0)))) }
            idfWeights = [weights.isEmpty ? 0 : weights.reduce(0, +) / Float(weights.count)] + weights
        }
    }

    /// Standardized, split and n-grammed tokens of one text.
    func tokenize(_ text: String) -> [String] {
        var bytes = Array(text.utf8)
        switch standardize {
        case .lowerAndStripPunctuation?, .lower?:
            for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 32 }
        default: break
        }
        switch standardize {
        case .lowerAndStripPunctuation?, .stripPunctuation?: bytes.removeAll { Self.punctuation[Int($0)] }
        default: break
        }
        var standardized = String(decoding: bytes, as: UTF8.self)
        if case let .custom(transform)? = standardize { standardized = transform(standardized) }
        let words: [String]
        switch split {
        case .whitespace?:
            words = Array(standardized.utf8).split { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }.map { String(decoding: $0, as: UTF8.self) }
        case .character?:
            words = standardized.unicodeScalars.map { String($0) }
        case let .custom(splitter)?:
            words = splitter(standardized)
        case nil:
            words = [standardized]
        }
        guard let ngrams else { return words }
        var grams: [String] = []
        for width in 1...ngrams where width <= words.count {
            for start in 0...(words.count - width) { grams.append(words[start..<(start + width)].joined(separator: " ")) }
        }
        return grams
    }

    private static let punctuation: [Bool] = (0..<256).map { b in
        b < 128 && "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'".utf8.contains(UInt8(b))
    }

    /// The texts as a (batch, length) tensor of token ids (`.int`) or a (batch, vocabulary)
    /// tensor of multi-hot, count or tf-idf values.
    public func callAsFunction(_ texts: [String]) throws -> Tensor {
        let tokenized = texts.map(tokenize)
        let oov = outputMode == .int ? 1 : 0
        let ids = tokenized.map { $0.map { $0.isEmpty && outputMode == .int ? 0 : (index[$0] ?? oov) } }
        switch outputMode {
        case .int:
            let length = outputSequenceLength ?? (ids.map(\.count).max() ?? 0)
            let out = Tensor.zeros([texts.count, length])
            for (row, sequence) in ids.enumerated() {
                for (i, id) in sequence.prefix(length).enumerated() { out.storage.pointer[row * length + i] = Float(id) }
            }
            return out
        case .multiHot, .count, .tfIdf:
            guard !tokens.isEmpty || padToMaxTokens else {
                throw KerasError.notReady(
                    "TextVectorization \"\(name)\": when using output_mode=\(outputMode.rawValue) and pad_to_max_tokens=False, you must set the layer's vocabulary before calling it. Either pass a vocabulary argument to the layer, or call adapt with some sample data.")
            }
            let depth = padToMaxTokens ? (maxTokens ?? vocabularySize()) : vocabularySize()
            let out = Tensor.zeros([texts.count, depth])
            let p = out.storage.pointer
            for (row, sequence) in ids.enumerated() {
                for id in sequence where id < depth {
                    p[row * depth + id] = outputMode == .multiHot ? 1 : p[row * depth + id] + 1
                }
                if outputMode == .tfIdf {
                    for id in 0..<Swift.min(depth, idfWeights.count) { p[row * depth + id] *= idfWeights[id] }
                    if idfWeights.count < depth { for id in idfWeights.count..<depth { p[row * depth + id] = 0 } }
                }
            }
            return out
        }
    }

    public override func getConfig() -> ConfigObject {
        var config = super.getConfig()
        func name(_ standardize: Standardize?) -> ConfigValue {
            switch standardize {
            case nil: .null
            case .lowerAndStripPunctuation?: "lower_and_strip_punctuation"
            case .lower?: "lower"
            case .stripPunctuation?: "strip_punctuation"
            // A closure cannot be saved; fromConfig refuses this name.
            case .custom?: "custom"
            }
        }
        let splitName: ConfigValue = switch split {
        case nil: .null
        case .whitespace?: "whitespace"
        case .character?: "character"
        case .custom?: "custom"
        }
        config.merge([
            "max_tokens": maxTokens.map { .int($0) } ?? .null, "standardize": name(standardize), "split": splitName,
            "ngrams": ngrams.map { .int($0) } ?? .null, "output_mode": .string(outputMode.rawValue),
            "output_sequence_length": outputSequenceLength.map { .int($0) } ?? .null, "pad_to_max_tokens": .bool(padToMaxTokens),
            "sparse": false, "ragged": false, "vocabulary": givenVocabulary.map { .array($0.map { .string($0) }) } ?? .null,
            "idf_weights": givenIdfWeights.map { .array($0.map { .double(Double($0)) }) } ?? .null, "encoding": "utf-8",
            "vocabulary_size": .int(vocabularySize()),
        ])
        return config
    }

    public override var buildConfig: ConfigObject? { nil }

    public override class func fromConfig(_ config: LayerConfig) throws -> Layer {
        try config.require("sparse", false)
        try config.require("ragged", false)
        try config.require("encoding", "utf-8")
        config.ignore("vocabulary_size")
        func standardize() throws -> Standardize? {
            guard let value = config.value("standardize") else { return nil }
            switch value.stringValue {
            case "lower_and_strip_punctuation": return .lowerAndStripPunctuation
            case "lower": return .lower
            case "strip_punctuation": return .stripPunctuation
            default: throw config.problem("standardize", "\"lower_and_strip_punctuation\", \"lower\", \"strip_punctuation\" or null (a custom function cannot be loaded)", found: value)
            }
        }
        func split() throws -> Split? {
            guard let value = config.value("split") else { return nil }
            switch value.stringValue {
            case "whitespace": return .whitespace
            case "character": return .character
            default: throw config.problem("split", "\"whitespace\", \"character\" or null (a custom function cannot be loaded)", found: value)
            }
        }
        let modeName = try config.string("output_mode", default: "int")
        guard let mode = OutputMode(rawValue: modeName == "binary" ? "multi_hot" : modeName == "tf-idf" ? "tf_idf" : modeName) else {
            throw config.problem("output_mode", "\"int\", \"multi_hot\", \"count\" or \"tf_idf\"", found: .string(modeName))
        }
        let vocabulary = try config.value("vocabulary").map { value -> [String] in
            guard let items = value.arrayValue, let words = Optional(items.compactMap(\.stringValue)), words.count == items.count else {
                throw config.problem("vocabulary", "a list of strings", found: value)
            }
            return words
        }
        let weights = try config.value("idf_weights").map { value -> [Float] in
            guard let items = value.arrayValue, let numbers = Optional(items.compactMap(\.doubleValue)), numbers.count == items.count else {
                throw config.problem("idf_weights", "a list of numbers", found: value)
            }
            return numbers.map(Float.init)
        }
        let ngrams: Int?
        if let value = config.value("ngrams") {
            guard let n = value.intValue else { throw config.problem("ngrams", "an integer (a tuple of widths is not supported)", found: value) }
            ngrams = n
        } else {
            ngrams = nil
        }
        return try TextVectorization(
            maxTokens: try config.value("max_tokens") == nil ? nil : config.int("max_tokens"), standardize: standardize(), split: split(),
            ngrams: ngrams, outputMode: mode,
            outputSequenceLength: try config.value("output_sequence_length") == nil ? nil : config.int("output_sequence_length"),
            padToMaxTokens: try config.bool("pad_to_max_tokens", default: false), vocabulary: vocabulary, idfWeights: weights,
            name: config.name)
    }

    public override func call(_ input: Tensor, training: Bool) throws -> Tensor {
        throw KerasError.incompatibleInput(
            layer: name, message: "TextVectorization takes strings: call it on [String] batches in the data pipeline (dataset.map), not on a tensor inside a model")
    }
}
