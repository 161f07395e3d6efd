import Testing

@testable import PermessageDeflate
