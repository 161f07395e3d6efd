/// Collects the output of a streaming zlib call into one array whose capacity grows
/// geometrically, so that no byte is handled one at a time in Swift and no output is copied more
/// than the growth requires.
enum GrowingOutput {
    /// The result of one call of the producer.
    struct Step {
        /// Bytes written at the start of the space given.
        var written: Int
        /// Whether the producer has nothing more to write.
        var finished: Bool
    }

    /// Calls `produce` with the free space of a buffer until it reports that it has finished or
    /// the buffer has reached `maximumCapacity` bytes, doubling the capacity in between (but
    /// never to more than half of the maximum: past a quarter, the next step is the maximum).
    ///
    /// - Parameters:
    ///   - initialCapacity: the first buffer size (at least 1, at most `maximumCapacity`).
    ///   - maximumCapacity: the largest buffer allowed.
    ///   - directAbove: when set, a buffer of at least this many bytes grows straight to
    ///     `maximumCapacity` rather than doubling. A buffer that large is mapped memory whose
    ///     untouched pages cost nothing, so the output then costs what was written, without the
    ///     intermediate buffers (and copies) that doubling makes.
    ///   - produce: writes into the free space it is given and says how much it wrote.
    /// - Returns: the bytes written and whether the producer finished (`false` when it still had
    ///   output once `maximumCapacity` bytes were written).
    static func collect<Failure: Error>(
        initialCapacity: Int,
        maximumCapacity: Int,
        directAbove: Int? = nil,
        _ produce: (UnsafeMutableRawBufferPointer) throws(Failure) -> Step
    ) throws(Failure) -> (bytes: [UInt8], finished: Bool) {
        let maximum = max(1, maximumCapacity)
        var capacity = min(max(1, initialCapacity), maximum)
        var bytes: [UInt8] = []
        while true {
            var previous: [UInt8] = []
            swap(&previous, &bytes)
            var failure: Failure?
            var finished = false
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                let space = UnsafeMutableRawBufferPointer(buffer)
                previous.withUnsafeBytes { space.copyMemory(from: $0) }
                count = previous.count
                // Free the old buffer before producing more, so that growth never holds both
                // full buffers at once.
                previous = []
                do throws(Failure) {
                    let step = try produce(UnsafeMutableRawBufferPointer(rebasing: space[count...]))
                    count += step.written
                    finished = step.finished
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            if finished || capacity >= maximum { return (bytes, finished) }
            // Double, but go straight to the maximum rather than to a size above half of it: the
            // step that reaches the maximum then copies at most half of it, so a buffer that
            // ends at the maximum never costs much more than the maximum at any moment.
            if let directAbove, capacity >= directAbove {
                capacity = maximum
            } else {
                capacity = capacity > maximum / 4 ? maximum : capacity * 2
            }
        }
    }
}
