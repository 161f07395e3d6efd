import Testing
import WebSocketExtensions

@testable import WebSocketDriver

/// What each error reports: close code, HTTP status, and the exact text (the close reason).
@Suite struct ProtocolErrorTests {
    @Test func closeCodesAndStatuses() {
        let headerError = ExtensionHeaderError.malformed(excerpt: "a,", position: 2, expected: "a name")
        let cases: [(ProtocolError, UInt16, Int?, Bool)] = [
            (.invalidHTTPRequest(.headTooLarge(limit: 10)), 1002, 431, false),
            (.invalidHTTPRequest(.unsupportedVersion("HTTP/2.0")), 1002, 505, false),
            (.invalidHTTPRequest(.malformedStartLine(reason: "x")), 1002, 400, false),
            (.notWebSocketRequest("x"), 1002, 400, false),
            (.unsupportedVersion("8"), 1002, 426, false),
            (.missingHeader("Host"), 1002, 400, false),
            (.invalidKey("k"), 1002, 400, false),
            (.invalidExtensionOffer(.malformedHeader(headerError)), 1002, 400, false),
            (.invalidDraft76Keys, 1002, 400, false),
            (.invalidHTTPResponse(.malformedStartLine(reason: "x")), 1002, nil, true),
            (.unexpectedStatus(200), 1002, nil, true),
            (.missingUpgradeHeader, 1002, nil, true),
            (.invalidUpgradeHeader("x"), 1002, nil, true),
            (.missingConnectionHeader, 1002, nil, true),
            (.invalidConnectionHeader("x"), 1002, nil, true),
            (.acceptMismatch, 1002, nil, true),
            (.protocolMismatch("x"), 1002, nil, true),
            (.extensionNegotiationFailed(.unknownExtension("x")), 1002, nil, true),
            (.reservedBitsSet(.rsv1), 1002, nil, false),
            (.unknownOpcode(3), 1002, nil, false),
            (.fragmentedControlFrame(.ping), 1002, nil, false),
            (.unfinishedFragmentedMessage, 1002, nil, false),
            (.unexpectedContinuation, 1002, nil, false),
            (.unmaskedFrame, 1002, nil, false),
            (.maskedFrame, 1002, nil, false),
            (.controlFrameTooLong(126), 1002, nil, false),
            (.invalidPayloadLength, 1002, nil, false),
            (.frameTooLarge, 1009, nil, false),
            (.invalidUTF8, 1007, nil, false),
            (.invalidClosePayload, 1002, nil, false),
            (.invalidCloseCode(1005), 1002, nil, false),
            (.extensionFailed(.processingFailed(extension: "x", reason: "y")), 1010, nil, false),
            (.extensionFailed(.messageTooLarge(extension: "x", limit: 1)), 1009, nil, false),
        ]
        for (error, code, status, clientHandshake) in cases {
            #expect(error.closeCode.rawValue == code, "\(error)")
            #expect(error.httpStatus == status, "\(error)")
            #expect(error.isClientHandshakeError == clientHandshake, "\(error)")
            #expect(error.description.hasPrefix("Error during WebSocket handshake: ") == clientHandshake)
        }
    }

    @Test func texts() {
        #expect(
            ProtocolError.reservedBitsSet([.rsv1, .rsv3]).description
                == "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 1")
        #expect(ProtocolError.unknownOpcode(11).description == "Unrecognized frame opcode: 11")
        #expect(
            ProtocolError.fragmentedControlFrame(.close).description == "Received fragmented control frame: opcode = 8")
        #expect(
            ProtocolError.controlFrameTooLong(65536).description
                == "Received control frame having too long payload: 65536")
        #expect(
            ProtocolError.unexpectedStatus(404).description
                == "Error during WebSocket handshake: Unexpected response code: 404")
        #expect(
            ProtocolError.unsupportedVersion(nil).description
                == "Unsupported WebSocket version: none; this server speaks 13")
        #expect(ProtocolError.invalidCloseCode(0).description == "Received close frame with an invalid status code: 0")
        #expect(
            ProtocolError.extensionFailed(
                .processingFailed(extension: "permessage-deflate", reason: "invalid block type")
            )
            .description == "permessage-deflate: invalid block type")
        #expect(
            ProtocolError.invalidHTTPRequest(.headTooLarge(limit: 10)).description
                == "Invalid HTTP request: HTTP head too large: it exceeds the limit of 10 bytes")
    }

    // MARK: Extensions that generate invalid parameters

    @Test func serverExtensionWithAnUnserializableResponseIsRefused() throws {
        var options = DriverOptions()
        var ext = TestExtension()
        ext.parameters = [ExtensionParameter("bad name")]
        try options.extensions.add(ext)
        let harness = ServerHandshakeTests.harness(
            ServerHandshakeTests.request(adding: [("Sec-WebSocket-Extensions", "x-test")]), options: options)
        #expect(harness.driver.start() == false)
        let message =
            "Extension \"x-test\" generated invalid parameters: Invalid Sec-WebSocket-Extensions name: \"bad name\" is not a token"
        #expect(harness.writtenText == ServerHandshakeTests.refusal("400 Bad Request", message))
        #expect(harness.events == [.error(message), .close(1002, message)])
    }

    @Test func clientExtensionWithAnUnserializableOfferFailsStart() throws {
        let log = ExtensionLog()
        var options = DriverOptions()
        var ext = TestExtension(log: log)
        ext.parameters = [ExtensionParameter("v", value: "line\nbreak")]
        try options.extensions.add(ext)
        let harness = try ClientHandshakeTests.harness(options: options)
        #expect(harness.driver.start() == false)
        let message =
            "Error during WebSocket handshake: Extension \"x-test\" generated invalid parameters: "
            + "Invalid Sec-WebSocket-Extensions value for v: \"line\\nbreak\" contains a control character"
        #expect(harness.events == [.error(message), .close(1002, message)])
        #expect(harness.written.isEmpty)
        #expect(harness.driver.readyState == .closed)
        #expect(log.entries == ["x-test close"])
    }
}
