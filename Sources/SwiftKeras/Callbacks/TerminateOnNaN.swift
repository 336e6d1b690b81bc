/// Stops training at the first batch whose loss is NaN or infinite (Keras's
/// `TerminateOnNaN`); with `raiseError`, fit throws instead.
public final class TerminateOnNaN: Callback {
    public let raiseError: Bool

    public init(raiseError: Bool = false) { self.raiseError = raiseError }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard let loss = logs["loss"], !loss.isFinite else { return }
        if raiseError {
            throw KerasError.invalidData("TerminateOnNaN: NaN or Inf loss encountered at batch \(batch). Loss value: \(loss). Terminating training immediately.")
        }
        print("Batch \(batch): Invalid loss, terminating training")
        model?.stopTraining = true
    }
}
