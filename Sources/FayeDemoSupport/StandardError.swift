public import ArgumentParser
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes to standard error without buffering.
public enum FileHandleOutput {
    /// Writes `text` to file descriptor 2 at once.
    public static func standardError(_ text: String) {
        StandardStream.write(2, text)
    }

    /// Logging to standard error at `info` for the whole process, and a logger named `label`:
    /// the one line per connection the servers print.
    public static func serverLogger(label: String) -> Logger {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: label)
        logger.logLevel = .info
        return logger
    }

    /// Says that `executable` was built without `trait` and how to build it; the exit code to
    /// throw (2).
    public static func missingTrait(_ trait: String, executable: String) -> ExitCode {
        standardError("\(executable): built without the \(trait) trait; build with `swift build --traits \(trait)`\n")
        return ExitCode(2)
    }
}
