import Glibc

/// libFuzzer's entry point for programs with their own main (compiler-rt's FuzzerInterface).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The loader under test; set once before the driver starts.
nonisolated(unsafe) private var loader: (([UInt8]) -> Void)?

/// Runs libFuzzer with the process's arguments over `body`, which gets each input's bytes.
public func runFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Int32 {
    loader = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        loader?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
}

public func exit(_ code: Int32) -> Never { Glibc.exit(code) }
