import Testing

@testable import WebSocketDriver
