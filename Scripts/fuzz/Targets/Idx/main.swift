// libFuzzer over the "idx" loader (FuzzTargets in SwiftKeras/Saving).
@_spi(Fuzzing) import SwiftKeras
import FuzzDriver

exit(runFuzzer { FuzzTargets.run("idx", $0) })
