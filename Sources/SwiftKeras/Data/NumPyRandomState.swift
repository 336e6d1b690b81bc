/// NumPy's legacy `np.random.RandomState(seed)`: the Mersenne Twister (MT19937) with its
/// integer seeding and its `shuffle`. Keras shuffles the files of
/// `image_dataset_from_directory` / `text_dataset_from_directory` with it, so the same seed
/// gives the same order and the same training/validation split here as in Keras.
struct NumPyRandomState {
    private var state = [UInt32](repeating: 0, count: 624)
    private var position = 624

    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func nextUInt32() -> UInt32 {
        if position >= 624 { twist() }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        position = 0
    }

    /// A uniform integer in 0...max by masked rejection, as NumPy's `random_interval`.
    mutating func interval(_ max: Int) -> Int {
        guard max > 0 else { return 0 }
        var mask = UInt64(max)
        for shift in [1, 2, 4, 8, 16, 32] as [UInt64] { mask |= mask >> shift }
        if max <= 0xFFFF_FFFF {
            while true {
                let value = UInt64(nextUInt32()) & mask
                if value <= UInt64(max) { return Int(value) }
            }
        }
        while true {
            let value = (UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())) & mask
            if value <= UInt64(max) { return Int(value) }
        }
    }

    /// `RandomState.shuffle`: Fisher-Yates from the last element down.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, through: 1, by: -1) {
            items.swapAt(i, interval(i))
        }
    }
}
