import Testing

@testable import FayeEventSource
