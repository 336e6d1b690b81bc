// libFuzzer over the "gzip" loader (FuzzTargets in SwiftKeras/Saving).
@_spi(Fuzzing) import SwiftKeras
import FuzzDriver

exit(runFuzzer { FuzzTargets.run("gzip", $0) })
