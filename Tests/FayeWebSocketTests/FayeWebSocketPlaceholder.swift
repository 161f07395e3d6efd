import Testing

@testable import FayeWebSocket
