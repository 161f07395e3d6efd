/// A test could not set up what it needs (a process, a port, a pipe).
public struct SetupError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
