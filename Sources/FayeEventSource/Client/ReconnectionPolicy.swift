/// When an ``EventSourceClient`` reconnects after its stream ended or a network error.
///
/// The first attempt waits the reconnection time: ``initialDelay``, or what the server last
/// asked for with a `retry` field. Each further consecutive failure multiplies the wait by
/// ``multiplier``, up to ``maxDelay``; ``jitter`` then takes a random fraction off, so that
/// clients dropped together do not come back together. A stream that delivered an event, or
/// stayed open for ``stableAfter``, was not a failure: it resets the count, so a server that
/// ends short streams on purpose is reconnected to after its `retry` each time.
public struct ReconnectionPolicy: Sendable, Hashable {
    /// Whether the client reconnects at all (default `true`). When `false`, the end of a stream
    /// or a network error closes the source with an error.
    public var isEnabled: Bool
    /// The reconnection time until the server sends `retry` (default 3 s, as browsers).
    public var initialDelay: Duration
    /// The factor applied to the delay after each consecutive failure (default 2; 1 for none).
    public var multiplier: Double
    /// The longest wait between attempts (default 60 s).
    public var maxDelay: Duration
    /// The largest fraction taken off a delay at random (default 0.25; 0 for none).
    public var jitter: Double
    /// How long a connection that delivered no event must stay open to count as stable and reset
    /// the backoff (default 10 s).
    public var stableAfter: Duration
    /// How many consecutive failed attempts are made before the source gives up and closes
    /// (default `nil`: no limit, as browsers).
    public var maxAttempts: Int?

    /// Creates a policy.
    public init(
        isEnabled: Bool = true,
        initialDelay: Duration = .seconds(3),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(60),
        jitter: Double = 0.25,
        stableAfter: Duration = .seconds(10),
        maxAttempts: Int? = nil
    ) {
        self.isEnabled = isEnabled
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.stableAfter = stableAfter
        self.maxAttempts = maxAttempts
    }

    /// No reconnection: the first end of the stream closes the source.
    public static let disabled = ReconnectionPolicy(isEnabled: false)

    /// The wait before the next attempt.
    /// - Parameters:
    ///   - reconnectionTime: the current reconnection time (``initialDelay`` or the server's `retry`).
    ///   - failures: consecutive failures so far, including the one that just happened (≥ 1).
    ///   - random: a number in `0..<1` for the jitter.
    public func delay(reconnectionTime: Duration, failures: Int, random: Double) -> Duration {
        let base = Self.seconds(reconnectionTime)
        let factor = max(1, multiplier)
        let exponent = Double(max(0, failures - 1))
        let cap = max(Self.seconds(maxDelay), base)
        let grown = min(cap, base * pow(factor, exponent))
        let fraction = min(1, max(0, jitter)) * min(max(random, 0), 1)
        return .nanoseconds(Int64((grown * (1 - fraction) * 1e9).rounded()))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `base` raised to `exponent`, without Foundation (the exponent is a small whole number).
    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(min(exponent, 64))
        while remaining > 0 && result < 1e12 {
            result *= base
            remaining -= 1
        }
        return result
    }
}
