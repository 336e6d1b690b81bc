// libFuzzer over the "npy" loader (FuzzTargets in SwiftKeras/Saving).
@_spi(Fuzzing) import SwiftKeras
import FuzzDriver

exit(runFuzzer { FuzzTargets.run("npy", $0) })
