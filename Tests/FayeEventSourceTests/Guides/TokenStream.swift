import FayeEventSource

// guide-begin: client
/// Asks an LLM-style streaming endpoint to complete `prompt` and returns the text, printing the
/// tokens as they arrive.
///
/// The endpoint takes a POST with a JSON body and a bearer token and answers with an event
/// stream: `token` events whose data is the next piece of text, then one `done` event.
func complete(prompt: String, endpoint: String, token: String) async throws -> String {
    var options = EventSourceClientOptions()
    options.method = "POST"
    options.headers.append(name: "Authorization", value: "Bearer \(token)")
    options.headers.append(name: "Content-Type", value: "application/json")
    options.body = Array(#"{"prompt": \#(jsonString(prompt)), "stream": true}"#.utf8)
    // Generation can pause; a long silence is still a dead connection.
    options.idleTimeout = .seconds(30)

    let source = EventSourceClient(url: endpoint, options: options)
    defer { source.close() }
    var text = ""
    for try await event in source.events {
        switch event.type {
        case "token":
            print(event.data, terminator: "")
            text += event.data
        case "done":
            print()
            return text
        default:
            continue  // comments never arrive here; unknown event types are skipped
        }
    }
    // The stream ended before `done`: a POST is not sent again, so the answer is cut short.
    throw EventSourceClientError(.connectionLost, message: "The stream ended before the answer was complete")
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20:
            out +=
                "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
// guide-end: client

// guide-begin: server
/// A stand-in for an LLM API: `POST /v1/complete` with the right bearer token streams the
/// words of a canned answer as `token` events, then `done`.
func makeTokenServer(port: Int, token: String, answer: String) -> FayeServer {
    FayeServer(configuration: FayeServer.Configuration(host: "127.0.0.1", port: port)) { request in
        guard request.request.method == "POST", request.request.path == "/v1/complete" else {
            return ServerResponse(status: 404, text: "Not found\n")
        }
        guard request.request.headers.first("Authorization") == "Bearer \(token)" else {
            return ServerResponse(status: 401, text: "Unauthorized\n")
        }
        let words = answer.split(separator: " ", omittingEmptySubsequences: false)
        return .eventSource { source in
            // Sent in order on the connection's event loop, then the stream ends.
            for (index, word) in words.enumerated() {
                try? source.send(index == 0 ? String(word) : " " + word, event: "token", id: "\(index + 1)")
            }
            try? source.send("[DONE]", event: "done")
            source.close()
        }
    }
}
// guide-end: server
