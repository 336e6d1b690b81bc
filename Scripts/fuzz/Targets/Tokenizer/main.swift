// libFuzzer over the "tokenizer" loader (FuzzTargets in SwiftKeras/Saving).
@_spi(Fuzzing) import SwiftKeras
import FuzzDriver

exit(runFuzzer { FuzzTargets.run("tokenizer", $0) })
