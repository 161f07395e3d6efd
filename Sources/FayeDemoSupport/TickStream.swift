public import FayeEventSource

/// The EventSource of `faye-server`: a `tick` event every interval whose id and data are both
/// the next integer, continuing after the client's Last-Event-ID.
public enum TickStream {
    /// `Access-Control-Allow-Origin: *` and the `retry` advice (`--sse-retry` seconds).
    public static func options(retrySeconds: Double) -> EventSourceOptions {
        var options = EventSourceOptions()
        options.headers = ["Access-Control-Allow-Origin": "*"]
        let milliseconds = retrySeconds.isFinite ? min(max(retrySeconds * 1000, 0), 1e12) : 5000
        options.retry = .milliseconds(Int64(milliseconds))
        return options
    }

    /// Sends the ticks until the stream closes; each send waits for the previous one to be
    /// written, so a client that does not read holds up its own stream only.
    public static func run(_ source: EventSource, intervalMilliseconds: Int) {
        let interval = Duration.milliseconds(max(1, intervalMilliseconds))
        let first = firstID(after: source.lastEventId)
        let task = Task {
            var next = first
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await source.send(String(next), event: "tick", id: String(next))
                } catch {
                    return
                }
                next += 1
            }
        }
        source.onClose { _ in task.cancel() }
    }

    /// Last-Event-ID + 1, or 1 when there is none (or it is not a non-negative integer).
    public static func firstID(after lastEventID: String) -> Int {
        guard let last = Int(lastEventID), last >= 0, last < Int.max else { return 1 }
        return last + 1
    }
}
