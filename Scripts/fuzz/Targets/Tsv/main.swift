// libFuzzer over the "tsv" loader (FuzzTargets in SwiftKeras/Saving).
@_spi(Fuzzing) import SwiftKeras
import FuzzDriver

exit(runFuzzer { FuzzTargets.run("tsv", $0) })
