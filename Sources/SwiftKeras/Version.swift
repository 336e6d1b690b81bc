/// The library's version (Keras's `keras.version()`); `swiftkeras --version` prints it and
/// `swiftkeras new` writes it into the `.package(url:from:)` line of a new package.
public let swiftKerasVersion = "0.1.0"
